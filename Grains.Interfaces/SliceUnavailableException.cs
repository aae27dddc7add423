namespace FaceOrleans.Grains;

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

    [Id(0)]
    public string? TenantId { get; private set; }

    [Id(1)]
    public string SliceId { get; private set; } = string.Empty;

    [Id(2)]
    public int RetryAfterSeconds { get; private set; }
}
