using FaceOrleans.Vision;

namespace FaceOrleans.Grains;

/// <summary>
/// One slice's models (key = slice id), activated only on the silo that owns the slice. Every model call on
/// the slice runs through it, one at a time. Requests arrive with <see cref="FaceOptions"/> the tenant has
/// already resolved; a call cancelled while it waits for the slice never reaches the models.
/// </summary>
[Alias("faceorleans.IInferenceGrain")]
public interface IInferenceGrain : IGrainWithStringKey
{
    [Alias("Compare")]
    Task<CompareResult> Compare(CompareRequest request, FaceOptions options, CancellationToken cancellationToken = default);

    [Alias("Detect")]
    Task<DetectResult> Detect(DetectRequest request, FaceOptions options, CancellationToken cancellationToken = default);

    [Alias("Embed")]
    Task<EmbedResult> Embed(EmbedRequest request, FaceOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every face in each image of the batch, which runs as one unit: an image that cannot be decoded is refused in
    /// its own entry, and all the others go through one detector call.
    /// </summary>
    [Alias("DetectBatch")]
    Task<DetectBatchResult> DetectBatch(ImageBatch batch, FaceOptions options, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="DetectBatch"/>, with every face embedded: one detector call and one recognizer call for the batch.</summary>
    [Alias("EmbedBatch")]
    Task<EmbedBatchResult> EmbedBatch(ImageBatch batch, FaceOptions options, CancellationToken cancellationToken = default);

    /// <summary>A real detection of a small built-in image at the models' defaults: proof the slice serves.</summary>
    [Alias("Probe")]
    Task<DetectResult> Probe(CancellationToken cancellationToken = default);

    [Alias("GetStats")]
    Task<InferenceStats> GetStats();
}
