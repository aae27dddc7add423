namespace FaceOrleans.Contracts;

/// <summary>One image of a batch and the name its rejection gives it (the form part it came in, such as <c>images[2]</c>).</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.BatchImage")]
public sealed record BatchImage([property: Id(0)] string Name, [property: Id(1)] byte[] Data);

/// <summary>
/// Several encoded images that run as one unit on a slice: each is decoded on its own, so a bad one is refused
/// alone, and all the others go through one detector call (and one recognizer call for embeddings). Immutable, so
/// the bytes are not copied between grains.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.ImageBatch")]
public sealed record ImageBatch([property: Id(0)] IReadOnlyList<BatchImage> Images);

/// <summary>
/// One image's faces, or why this image alone was refused (then <see cref="Faces"/> is empty): a
/// <see cref="RequestRejectedException"/>. Typed as <see cref="Exception"/> because Orleans' codec for a type with a
/// surrogate cannot write a null field of that type.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.ImageFaces")]
public sealed record ImageFaces([property: Id(0)] IReadOnlyList<FaceInfo> Faces, [property: Id(1)] Exception? Failure);

/// <summary>One entry per image of the batch, in its order.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.DetectBatchResult")]
public sealed record DetectBatchResult(
    [property: Id(0)] IReadOnlyList<ImageFaces> Images,
    [property: Id(1)] string SliceId,
    [property: Id(2)] double ElapsedMilliseconds);

/// <summary>One image's faces with their embeddings, or why this image alone was refused (as in <see cref="ImageFaces"/>).</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.ImageEmbeddings")]
public sealed record ImageEmbeddings([property: Id(0)] IReadOnlyList<FaceEmbedding> Faces, [property: Id(1)] Exception? Failure);

/// <summary>One entry per image of the batch, in its order, and the similarity threshold the call resolved to.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.EmbedBatchResult")]
public sealed record EmbedBatchResult(
    [property: Id(0)] IReadOnlyList<ImageEmbeddings> Images,
    [property: Id(1)] string Model,
    [property: Id(2)] int Dimensions,
    [property: Id(3)] string SliceId,
    [property: Id(4)] double ElapsedMilliseconds,
    [property: Id(5)] float SimilarityThreshold,
    [property: Id(6)] string ModelVersion)
{
    /// <summary>The recognizer these embeddings came from, as a gallery records it.</summary>
    public EmbeddingModel Recognizer => new(Model, ModelVersion, Dimensions);
}

/// <summary>Photos of one subject to enroll; each is enrolled, or refused, on its own.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.EnrollBatchRequest")]
public sealed record EnrollBatchRequest(
    [property: Id(0)] IReadOnlyList<BatchImage> Images,
    [property: Id(1)] bool UseLargestFace = false,
    [property: Id(2)] float? DetectionThreshold = null);

/// <summary>
/// One photo of a bulk enrollment: the face, stored before this is returned, or why it was not enrolled — a
/// <see cref="RequestRejectedException"/> (no face, several faces, not an image…) or a
/// <see cref="GalleryStoreUnavailableException"/> (nothing was stored for this photo).
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.EnrollOutcome")]
public sealed record EnrollOutcome([property: Id(0)] EnrolledFace? Enrolled, [property: Id(1)] Exception? Failure);
