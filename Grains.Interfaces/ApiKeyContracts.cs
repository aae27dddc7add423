namespace FaceOrleans.Contracts;

/// <summary>What a key may do.</summary>
[Alias("faceorleans.ApiKeyRole")]
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
[GenerateSerializer, Immutable, Alias("faceorleans.ApiKeyEntry")]
public sealed record ApiKeyEntry(
    [property: Id(0)] string Id,
    [property: Id(1)] string Sha256,
    [property: Id(2)] string? Tenant,
    [property: Id(3)] ApiKeyRole Role,
    [property: Id(4)] DateTimeOffset CreatedUtc,
    [property: Id(5)] string? Description);

/// <summary>A newly issued key: the only time the key itself is ever returned.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.IssuedApiKey")]
public sealed record IssuedApiKey(
    [property: Id(0)] string Id,
    [property: Id(1)] string Key,
    [property: Id(2)] string? Tenant,
    [property: Id(3)] ApiKeyRole Role);

/// <summary>Every live key's hash, with a version that changes on each issue or revocation.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.ApiKeySnapshot")]
public sealed record ApiKeySnapshot([property: Id(0)] long Version, [property: Id(1)] IReadOnlyList<ApiKeyEntry> Keys);
