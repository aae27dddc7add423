using FaceOrleans.Api.Hosting;
using FaceOrleans.Grains;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Api.Security;

/// <summary>
/// This instance's copy of the cluster's key hashes. Refreshed from the keys grain at most every
/// <see cref="ApiOptions.KeyCacheDuration"/>, so a revocation reaches every API instance within that time
/// while a request costs a dictionary lookup, not a grain call.
/// </summary>
public sealed class ApiKeyCache(IClusterClient cluster, IOptionsMonitor<ApiOptions> options, TimeProvider time) : IDisposable
{
    public const string GrainKey = "default";

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private Dictionary<string, ApiKeyIdentity> _byHash = new(StringComparer.Ordinal);
    private DateTimeOffset _loadedAt = DateTimeOffset.MinValue;

    public async Task<ApiKeyIdentity?> FindAsync(string key, CancellationToken cancellationToken)
    {
        var hash = ApiKeyHash.Of(key);
        if (options.CurrentValue.AdminKeySha256 is { Length: > 0 } bootstrap && string.Equals(hash, bootstrap, StringComparison.OrdinalIgnoreCase))
        {
            return new ApiKeyIdentity("bootstrap", null, ApiKeyRole.Admin);
        }

        if (time.GetUtcNow() - _loadedAt > options.CurrentValue.KeyCacheDuration)
        {
            await RefreshAsync(cancellationToken);
        }

        return _byHash.GetValueOrDefault(hash);
    }

    public void Dispose() => _refresh.Dispose();

    /// <summary>Reloads now, e.g. after this instance issued or revoked a key.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            var snapshot = await cluster.GetGrain<IApiKeysGrain>(GrainKey).Snapshot();
            _byHash = snapshot.Keys.ToDictionary(k => k.Sha256, k => new ApiKeyIdentity(k.Id, k.Tenant, k.Role), StringComparer.Ordinal);
            _loadedAt = time.GetUtcNow();
        }
        finally
        {
            _refresh.Release();
        }
    }
}
