namespace FaceOrleans.Grains;

/// <summary>
/// One slice's models (key = slice id), activated only on the silo that owns the slice. Every model call on
/// the slice runs through it, one at a time; requests carry thresholds already resolved by the tenant.
/// </summary>
public interface IInferenceGrain : IGrainWithStringKey
{
    Task<CompareResult> Compare(CompareRequest request);

    Task<DetectResult> Detect(DetectRequest request);

    Task<EmbedResult> Embed(EmbedRequest request);

    Task<InferenceStats> GetStats();
}
