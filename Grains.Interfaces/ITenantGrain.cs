namespace FaceOrleans.Contracts;

/// <summary>
/// One tenant (key = tenant id). It lives only on the silo whose slice the tenant is pinned to and sends
/// its work to that slice's <see cref="IInferenceGrain"/>, so a tenant's load never reaches another slice.
/// Face calls resolve the call's <see cref="RequestOptions"/> against the tenant's settings and the models'
/// defaults, once, and refuse bad values and images with a <see cref="Vision.RequestRejectedException"/>;
/// a comparison where an image has no face is refused with <see cref="Vision.RejectionCode.NoFace"/>.
/// </summary>
[Alias("faceorleans.ITenantGrain")]
public interface ITenantGrain : IGrainWithStringKey
{
    [Alias("Compare"), Idempotent]
    Task<CompareResult> Compare(CompareRequest request, RequestOptions? options = null, CancellationToken cancellationToken = default);

    [Alias("Detect"), Idempotent]
    Task<DetectResult> Detect(DetectRequest request, RequestOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every face with its embedding, and the 1:1 and 1:N thresholds this call resolved to, so a gallery decides with
    /// the tenant's settings as compare does.
    /// </summary>
    [Alias("Embed"), Idempotent]
    Task<EmbedResult> Embed(EmbedRequest request, RequestOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Every face in each image; one bad image is refused in its own entry, the others run as one batch on the slice.</summary>
    [Alias("DetectBatch")]
    Task<DetectBatchResult> DetectBatch(ImageBatch batch, RequestOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="DetectBatch"/>, with every face's embedding and the similarity threshold the call resolved to.</summary>
    [Alias("EmbedBatch")]
    Task<EmbedBatchResult> EmbedBatch(ImageBatch batch, RequestOptions? options = null, CancellationToken cancellationToken = default);

    [Alias("GetState")]
    Task<TenantState> GetState();

    /// <summary>Replaces the tenant's settings; stored durably before it returns.</summary>
    [Alias("Configure")]
    Task<TenantState> Configure(TenantSettings settings);

    [Alias("GetSettings")]
    Task<TenantSettings> GetSettings();

    /// <summary>Deletes the tenant's stored record (settings, quota, counters); the next call finds the defaults.</summary>
    [Alias("Forget")]
    Task Forget();

    /// <summary>The 1:1 and 1:N thresholds the tenant decides with now, resolved as a call without its own values would be.</summary>
    [Alias("GetThresholds")]
    Task<MatchThresholds> GetThresholds();

    /// <summary>Sets one threshold in the tenant's settings, leaving the rest as they are; stored durably before it returns.</summary>
    [Alias("SetThreshold")]
    Task<TenantState> SetThreshold(ThresholdTarget target, float threshold);

    /// <summary>The recognizer the tenant's embeddings come from now (its slice's).</summary>
    [Alias("GetRecognizer")]
    Task<EmbeddingModel> GetRecognizer();

    /// <summary>The tenant's rate quota; null when it has none.</summary>
    [Alias("GetRateQuota")]
    Task<RateQuota?> GetRateQuota();

    /// <summary>Replaces the tenant's rate quota (null removes it); stored durably before it returns.</summary>
    [Alias("SetRateQuota")]
    Task<RateQuota?> SetRateQuota(RateQuota? quota);
}
