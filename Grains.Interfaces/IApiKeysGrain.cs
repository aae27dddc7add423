namespace FaceOrleans.Grains;

public enum ApiKeyRole
{
    /// <summary>Calls one tenant's face routes and reads its state.</summary>
    Tenant,

    /// <summary>As <see cref="Tenant"/>, and may change that tenant's configuration.</summary>
    TenantAdmin,

    /// <summary>Everything, for every tenant, plus cluster and key management.</summary>
    Admin,
}

/// <summary>A key as stored: only its SHA-256, never the key itself.</summary>
[GenerateSerializer, Immutable]
public sealed record ApiKeyEntry(
    [property: Id(0)] string Id,
    [property: Id(1)] string Sha256,
    [property: Id(2)] string? Tenant,
    [property: Id(3)] ApiKeyRole Role,
    [property: Id(4)] DateTimeOffset CreatedUtc,
    [property: Id(5)] string? Description);

/// <summary>A newly issued key: the only time the key itself is ever returned.</summary>
[GenerateSerializer, Immutable]
public sealed record IssuedApiKey(
    [property: Id(0)] string Id,
    [property: Id(1)] string Key,
    [property: Id(2)] string? Tenant,
    [property: Id(3)] ApiKeyRole Role);

/// <summary>Every live key's hash, with a version that changes on each issue or revocation.</summary>
[GenerateSerializer, Immutable]
public sealed record ApiKeySnapshot([property: Id(0)] long Version, [property: Id(1)] IReadOnlyList<ApiKeyEntry> Keys);

/// <summary>The cluster's API keys (one grain, key "default"), stored hashed in grain storage.</summary>
public interface IApiKeysGrain : IGrainWithStringKey
{
    Task<IssuedApiKey> Issue(string? tenant, ApiKeyRole role, string? description);

    /// <summary>Removes the key; false when no key has that id.</summary>
    Task<bool> Revoke(string keyId);

    Task<ApiKeySnapshot> Snapshot();
}
