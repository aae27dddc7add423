using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace FaceOrleans.Grains.Protection;

/// <summary>
/// Each tenant's <see cref="DataKeyRing"/>, unwrapped once and kept in memory: a row costs one AES-GCM call, never a
/// key provider call. A ring is reloaded after <see cref="RingLifetime"/> so silos pick up another silo's rotation
/// (until then they keep sealing under the previous key, which the background sweep re-seals), and at once when a
/// row names a key it lacks. New rows are sealed only while <see cref="Enabled"/>.
/// </summary>
public sealed class GalleryCipher(IKeyProvider provider, IProtectedGalleryStore store, bool enabled = true, TimeProvider? time = null)
{
    public static readonly TimeSpan RingLifetime = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, (Task<DataKeyRing?> Ring, DateTimeOffset Loaded)> _rings = new(StringComparer.Ordinal);

    public bool Enabled => enabled;

    public IKeyProvider Provider => provider;

    /// <summary>The ring new rows are sealed with, its first key created when the tenant has none; null when sealing is off.</summary>
    public async Task<DataKeyRing?> ForWriteAsync(string tenant)
    {
        if (!enabled)
        {
            return null;
        }

        return await ForReadAsync(tenant) ?? await AddKeyAsync(tenant, null);
    }

    /// <summary>
    /// The ring that opens the tenant's rows; null when it has no key (all its rows are in the clear). "No key" is not
    /// kept: another silo may create the tenant's first key at any moment, and its rows must open here at once.
    /// </summary>
    public Task<DataKeyRing?> ForReadAsync(string tenant)
    {
        var now = _time.GetUtcNow();
        var entry = _rings.AddOrUpdate(tenant, _ => (LoadAsync(tenant), now),
            (_, cached) => cached.Ring.IsFaulted || cached.Ring is { IsCompletedSuccessfully: true, Result: null } || now - cached.Loaded > RingLifetime
                ? (LoadAsync(tenant), now)
                : cached);
        return entry.Ring;
    }

    /// <summary>Adds a new data key, active for new rows from now on; its id.</summary>
    public async Task<int> RotateAsync(string tenant) => (await AddKeyAsync(tenant, await ForReadAsync(tenant)))!.ActiveKeyId;

    /// <summary>After the tenant's rows and wrapped keys were deleted: its ring dropped, and the provider told.</summary>
    public async Task DeleteTenantAsync(string tenant)
    {
        Forget(tenant);
        await provider.DeleteTenantAsync(tenant);
    }

    /// <summary>Drops the tenant's ring (its keys were deleted with the tenant, or a row named a key it lacked).</summary>
    public void Forget(string tenant) => _rings.TryRemove(tenant, out _);

    private async Task<DataKeyRing?> AddKeyAsync(string tenant, DataKeyRing? current)
    {
        while (true)
        {
            var id = (current?.ActiveKeyId ?? 0) + 1;
            var dataKey = RandomNumberGenerator.GetBytes(MasterKeyProvider.KeyBytes);
            var wrapped = new WrappedDataKey(id, await provider.WrapAsync(tenant, dataKey), provider.MasterKeyId, _time.GetUtcNow());
            var added = await store.AddDataKeyAsync(tenant, wrapped);
            Forget(tenant);
            var ring = await ForReadAsync(tenant);
            if (added || (current is null && ring is not null))
            {
                return ring;
            }

            current = ring;
        }
    }

    private async Task<DataKeyRing?> LoadAsync(string tenant)
    {
        var stored = await store.GetDataKeysAsync(tenant);
        if (stored.Count == 0)
        {
            return null;
        }

        var keys = new Dictionary<int, byte[]>();
        foreach (var key in stored)
        {
            keys[key.Id] = await provider.UnwrapAsync(tenant, key.Wrapped);
        }

        return new DataKeyRing(tenant, keys, () => Forget(tenant));
    }
}
