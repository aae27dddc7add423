using FaceOrleans.Vision;

namespace FaceOrleans.Contracts;

/// <summary>
/// What a slice's models answer with when nothing else is asked: the options every call starts from, and the
/// recognizer whose embeddings the slice produces. Fixed for the slice's life, so a tenant asks once.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.SliceModels")]
public sealed record SliceModels([property: Id(0)] FaceOptions Defaults, [property: Id(1)] EmbeddingModel Recognizer);
