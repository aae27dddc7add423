using FaceOrleans.Vision;

namespace FaceOrleans.Contracts;

/// <summary>
/// One slice's models (key = slice id), activated only on the silo that owns the slice. Every model call on
/// the slice runs through it, scheduled by the slice's policy (README, "Slice scheduling"). Requests arrive with
/// <see cref="FaceOptions"/> the tenant has already resolved and name the tenant they are for, whose share of the
/// slice they queue in; a call cancelled while it waits for the slice never reaches the models, and a call that
/// finds the slice's queue full fails at once with <see cref="SliceBusyException"/>.
/// </summary>
[Alias("faceorleans.IInferenceGrain")]
public interface IInferenceGrain : IGrainWithStringKey
{
    [Alias("Compare")]
    Task<CompareResult> Compare(string tenant, CompareRequest request, FaceOptions options, CancellationToken cancellationToken = default);

    [Alias("Detect")]
    Task<DetectResult> Detect(string tenant, DetectRequest request, FaceOptions options, CancellationToken cancellationToken = default);

    [Alias("Embed")]
    Task<EmbedResult> Embed(string tenant, EmbedRequest request, FaceOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every face in each image of the batch, which runs as one unit: an image that cannot be decoded is refused in
    /// its own entry, and all the others go through one detector call.
    /// </summary>
    [Alias("DetectBatch")]
    Task<DetectBatchResult> DetectBatch(string tenant, ImageBatch batch, FaceOptions options, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="DetectBatch"/>, with every face embedded: one detector call and one recognizer call for the batch.</summary>
    [Alias("EmbedBatch")]
    Task<EmbedBatchResult> EmbedBatch(string tenant, ImageBatch batch, FaceOptions options, CancellationToken cancellationToken = default);

    /// <summary>A real detection of a small built-in image at the models' defaults: proof the slice serves.</summary>
    [Alias("Probe")]
    Task<DetectResult> Probe(CancellationToken cancellationToken = default);

    /// <summary>The slice's model defaults and recognizer: all a tenant needs of the slice besides its calls.</summary>
    [Alias("GetModels")]
    Task<SliceModels> GetModels();

    [Alias("GetStats")]
    Task<InferenceStats> GetStats();
}
