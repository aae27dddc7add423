namespace FaceOrleans.Grains;

/// <summary>
/// One tenant (key = tenant id). It lives only on the silo whose slice the tenant is pinned to and sends
/// its work to that slice's <see cref="IInferenceGrain"/>, so a tenant's load never reaches another slice.
/// </summary>
public interface ITenantGrain : IGrainWithStringKey
{
    Task<CompareResult> Compare(CompareRequest request);

    Task<DetectResult> Detect(DetectRequest request);

    Task<EmbedResult> Embed(EmbedRequest request);

    Task<TenantState> GetState();

    /// <summary>Replaces the tenant's settings; stored durably before it returns.</summary>
    Task<TenantState> Configure(TenantSettings settings);

    Task<SliceLocation> Locate();

    Task<TenantSettings> GetSettings();
}
