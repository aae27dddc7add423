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

    /// <summary>A real detection of a small built-in image at the models' defaults: proof the slice serves.</summary>
    [Alias("Probe")]
    Task<DetectResult> Probe(CancellationToken cancellationToken = default);

    [Alias("GetStats")]
    Task<InferenceStats> GetStats();
}
