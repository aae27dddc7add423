namespace FaceOrleans.Contracts;

/// <summary>The cluster's API keys (one grain, key "default"), stored hashed in grain storage.</summary>
[Alias("faceorleans.IApiKeysGrain")]
public interface IApiKeysGrain : IGrainWithStringKey
{
    [Alias("Issue")]
    Task<IssuedApiKey> Issue(string? tenant, ApiKeyRole role, string? description);

    /// <summary>Removes the key; false when no key has that id.</summary>
    [Alias("Revoke")]
    Task<bool> Revoke(string keyId);

    [Alias("Snapshot")]
    Task<ApiKeySnapshot> Snapshot();

    /// <summary>Revokes every key of the tenant (the tenant is being deleted); how many there were.</summary>
    [Alias("RevokeTenant")]
    Task<int> RevokeTenant(string tenant);
}
