namespace FaceOrleans.Contracts;

/// <summary>
/// The slice a tenant is pinned to (or the slice asked for) has no live silo. Callers should retry after
/// <see cref="RetryAfterSeconds"/>; the API maps this to 503 with Retry-After.
/// </summary>
[GenerateSerializer, Alias("faceorleans.SliceUnavailableException")]
public sealed class SliceUnavailableException : Exception
{
    public SliceUnavailableException()
    {
    }

    public SliceUnavailableException(string message)
        : base(message)
    {
    }

    public SliceUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SliceUnavailableException(string? tenantId, string sliceId, int retryAfterSeconds)
        : base(tenantId is null
            ? $"Slice '{sliceId}' has no live silo; retry in {retryAfterSeconds} s."
            : $"Tenant '{tenantId}' is pinned to slice '{sliceId}', which has no live silo; retry in {retryAfterSeconds} s.")
    {
        TenantId = tenantId;
        SliceId = sliceId;
        RetryAfterSeconds = retryAfterSeconds;
    }

    public SliceUnavailableException(string? tenantId, string sliceId, int retryAfterSeconds, string message)
        : base(message)
    {
        TenantId = tenantId;
        SliceId = sliceId;
        RetryAfterSeconds = retryAfterSeconds;
    }

    [Id(0)]
    public string? TenantId { get; private set; }

    [Id(1)]
    public string SliceId { get; private set; } = string.Empty;

    [Id(2)]
    public int RetryAfterSeconds { get; private set; }

    /// <summary>
    /// The slice's silo is up and ran the call, but a call the grain made inside the slice could not be delivered (a
    /// directory partition or a grain on a silo that had just died). An idempotent call may be sent again at once:
    /// unlike a slice with no live silo, this passes as soon as the cluster has declared that silo dead.
    /// </summary>
    [Id(3)]
    public bool InnerCallNotDelivered { get; init; }
}
