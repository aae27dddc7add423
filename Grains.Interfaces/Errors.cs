namespace FaceOrleans.Grains;

/// <summary>
/// The slice a tenant is pinned to (or the slice asked for) has no live silo. Callers should retry after
/// <see cref="RetryAfterSeconds"/>; the API maps this to 503 with Retry-After.
/// </summary>
[GenerateSerializer]
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

/// <summary>The tenant is pinned to no slice and the cluster refuses unknown tenants.</summary>
[GenerateSerializer]
public sealed class TenantNotServedException : Exception
{
    public TenantNotServedException()
    {
    }

    public TenantNotServedException(string tenantId)
        : base($"Tenant '{tenantId}' is not pinned to any slice and this cluster refuses unknown tenants.")
    {
        TenantId = tenantId;
    }

    public TenantNotServedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    [Id(0)]
    public string TenantId { get; private set; } = string.Empty;
}

/// <summary>An upload the pipeline refuses. <see cref="Reason"/> is stable: empty, not_an_image, corrupt, too_large, too_small.</summary>
[GenerateSerializer]
public sealed class ImageRejectedException : Exception
{
    public ImageRejectedException()
    {
    }

    public ImageRejectedException(string message)
        : base(message)
    {
    }

    public ImageRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ImageRejectedException(string reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    [Id(0)]
    public string Reason { get; private set; } = string.Empty;
}

/// <summary>Settings or per-call parameters that fail validation; nothing was stored or run.</summary>
[GenerateSerializer]
public sealed class InvalidRequestException : Exception
{
    public InvalidRequestException()
    {
    }

    public InvalidRequestException(string message)
        : base(message)
    {
    }

    public InvalidRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
