namespace FaceOrleans.Contracts;

/// <summary>The tenant is pinned to no slice and the cluster refuses unknown tenants.</summary>
[GenerateSerializer, Alias("faceorleans.TenantNotServedException")]
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
