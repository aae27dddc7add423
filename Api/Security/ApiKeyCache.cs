using FaceOrleans.Api.Hosting;
using FaceOrleans.Contracts;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Api.Security;

/// <summary>
/// This instance's copy of the cluster's key hashes, so that a request's key check is a dictionary lookup and never
/// waits for the keys grain: that grain lives on one silo, and while that silo is dying every tenant's requests
/// would wait with it. Only the very first check waits for a copy. After that, a copy older than
/// <see cref="ApiOptions.KeyCacheDuration"/> is refreshed in the background while requests go on with the old one, so
/// a revocation reaches every instance within about that time; while the keys grain cannot be reached (its silo
/// died, until Orleans places it on a live silo, which reads the keys back from storage) the last copy stays in use.
/// </summary>
public sealed partial class ApiKeyCache(IClusterClient cluster, IOptions<ApiOptions> options, TimeProvider time, ILogger<ApiKeyCache> logger)
    : IDisposable
{
    public const string GrainKey = "default";

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private Dictionary<string, ApiKeyIdentity>? _byHash;
    private DateTimeOffset _loadedAt = DateTimeOffset.MinValue;

    public async Task<ApiKeyIdentity?> FindAsync(string key, CancellationToken cancellationToken)
    {
        var hash = ApiKeyHash.Of(key);
        if (options.Value.AdminKeySha256 is { Length: > 0 } bootstrap && string.Equals(hash, bootstrap, StringComparison.OrdinalIgnoreCase))
        {
            return new ApiKeyIdentity("bootstrap", null, ApiKeyRole.Admin);
        }

        if (_byHash is null)
        {
            await RefreshAsync(cancellationToken);
        }
        else if (time.GetUtcNow() - _loadedAt > options.Value.KeyCacheDuration)
        {
            _ = RefreshInBackgroundAsync();
        }

        return _byHash!.GetValueOrDefault(hash);
    }

    public void Dispose() => _refresh.Dispose();

    /// <summary>Reloads now, e.g. after this instance issued or revoked a key.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            await LoadAsync();
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>One refresh at a time; a failed one is logged and tried again by the next request after the cache's age.</summary>
    private async Task RefreshInBackgroundAsync()
    {
        if (!await _refresh.WaitAsync(0))
        {
            return;
        }

        try
        {
            await LoadAsync();
        }
        catch (Exception ex)
        {
            _loadedAt = time.GetUtcNow();
            LogRefreshFailed(logger, ex, options.Value.KeyCacheDuration.TotalSeconds);
        }
        finally
        {
            _refresh.Release();
        }
    }

    private async Task LoadAsync()
    {
        var snapshot = await cluster.GetGrain<IApiKeysGrain>(GrainKey).Snapshot();
        _byHash = snapshot.Keys.ToDictionary(k => k.Sha256, k => new ApiKeyIdentity(k.Id, k.Tenant, k.Role), StringComparer.Ordinal);
        _loadedAt = time.GetUtcNow();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the API keys failed; the last copy stays in use and is tried again in {Seconds} s")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, double seconds);
}
