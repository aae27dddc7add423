using System.Text;
using System.Text.Json;
using FaceOrleans.Grains.Protection;
using StackExchange.Redis;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// Sealing in Redis: a sealed value carries its key id (<see cref="DataKeyRing"/>), so the sweep and the status
/// route read it from the values; the tenant's wrapped data keys are one hash under the tenant's prefix, deleted with
/// the rest of it. A sweep pass walks the tenant's hashes and rewrites each value not under the active key only if it
/// is still the value it read; the tenant's <c>:sealed</c> key records the key a finished pass left every row under.
/// </summary>
public sealed partial class RedisGalleryStore
{
    private GalleryCipher? _cipher;

    public GalleryCipher? Cipher => keys is null ? null : LazyInitializer.EnsureInitialized(ref _cipher, () => new GalleryCipher(keys, this, seal));

    public async Task<IReadOnlyList<WrappedDataKey>> GetDataKeysAsync(string tenant) =>
        (await Db.HashGetAllAsync(Keys(tenant))).Select(entry => ToKey(entry.Value!)).OrderBy(key => key.Id).ToArray();

    public Task<bool> AddDataKeyAsync(string tenant, WrappedDataKey key) =>
        Db.HashSetAsync(Keys(tenant), key.Id, JsonSerializer.Serialize(key), When.NotExists);

    public async Task<(string Tenant, WrappedDataKey Key)?> AnyDataKeyAsync()
    {
        foreach (var tenant in await TenantsWithAsync(":keys"))
        {
            var keys = await GetDataKeysAsync(tenant);
            if (keys.Count > 0)
            {
                return (tenant, keys[0]);
            }
        }

        return null;
    }

    public async Task<IReadOnlyList<string>> TenantsToSealAsync()
    {
        var tenants = new List<string>();
        foreach (var tenant in await TenantsWithAsync(":subjects"))
        {
            var keys = await GetDataKeysAsync(tenant);
            var active = keys.Count > 0 ? keys[^1] : null;
            var sealedUnder = await Db.StringGetAsync(SealedMarker(tenant));
            if ((active is null && Cipher is { Enabled: true }) || (active is not null && sealedUnder != active.Id))
            {
                tenants.Add(tenant);
            }
        }

        return tenants;
    }

    /// <summary>
    /// Walks the tenant's hashes (subjects, photos, then each shard), re-sealing what is not under the active key, and
    /// stops after the hash in which <paramref name="maxRows"/> were reached; a call finds sealed rows by reading them.
    /// </summary>
    public async Task<int> SealBatchAsync(string tenant, int maxRows)
    {
        var ring = Cipher is { Enabled: true } ? await Cipher.ForWriteAsync(tenant) : Cipher is null ? null : await Cipher.ForReadAsync(tenant);
        if (ring is null)
        {
            return 0;
        }

        var keys = (await GetDataKeysAsync(tenant)).Single(k => k.Id == ring.ActiveKeyId);
        var resealed = 0;
        foreach (var (hash, row) in await SealedHashesAsync(tenant))
        {
            var batch = new List<(HashEntry Entry, byte[] Value)>();
            await foreach (var entry in Db.HashScanAsync(hash, pageSize: 1000))
            {
                var value = (byte[])entry.Value!;
                if (DataKeyRing.KeyIdOf(value) != ring.ActiveKeyId)
                {
                    var fields = row((string)entry.Name!);
                    batch.Add((entry, ring.Seal(DataKeyRing.OpenOrPlain(ring, value, fields), fields)));
                }

                if (batch.Count >= maxRows)
                {
                    resealed += await RewriteAsync(hash, batch);
                }
            }

            resealed += await RewriteAsync(hash, batch);
            if (resealed >= maxRows)
            {
                // Stop between hashes: the next call skips what is sealed already and goes on from here.
                return resealed;
            }
        }

        // Silos keep a ring for up to its lifetime: only then can no row be sealed under the previous key any more.
        if (resealed == 0 && DateTimeOffset.UtcNow - keys.CreatedUtc > GalleryCipher.RingLifetime)
        {
            await Db.StringSetAsync(SealedMarker(tenant), ring.ActiveKeyId);
        }

        return resealed;
    }

    public async Task<IReadOnlyList<SealedRows>> CountSealedRowsAsync(string tenant)
    {
        var counts = new Dictionary<(int?, string), long>();
        foreach (var (hash, _) in await SealedHashesAsync(tenant))
        {
            var kind = hash.ToString().EndsWith(":photos", StringComparison.Ordinal) ? "photos"
                : hash.ToString().EndsWith(":subjects", StringComparison.Ordinal) ? "subjects" : "faces";
            await foreach (var entry in Db.HashScanAsync(hash, pageSize: 1000))
            {
                var key = (DataKeyRing.KeyIdOf((byte[])entry.Value!), kind);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }

        return counts.Select(c => new SealedRows(c.Key.Item1, c.Key.Item2, c.Value)).OrderBy(c => c.Kind, StringComparer.Ordinal).ThenBy(c => c.KeyId).ToArray();
    }

    private async Task<int> RewriteAsync(RedisKey hash, List<(HashEntry Entry, byte[] Value)> batch)
    {
        var written = await Task.WhenAll(batch.Select(item =>
        {
            var transaction = Db.CreateTransaction();
            transaction.AddCondition(Condition.HashEqual(hash, item.Entry.Name, item.Entry.Value));
            _ = transaction.HashSetAsync(hash, item.Entry.Name, item.Value);
            return transaction.ExecuteAsync();
        }));
        batch.Clear();
        return written.Count(w => w);
    }

    /// <summary>The tenant's hashes that hold sealed values, each with the associated data of a field.</summary>
    private async Task<List<(RedisKey Hash, Func<string, string[]> Row)>> SealedHashesAsync(string tenant)
    {
        var hashes = new List<(RedisKey, Func<string, string[]>)> { (Subjects(tenant), SubjectRow), (Photos(tenant), PhotoRow) };
        foreach (var server in redis.GetServers().Where(s => !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(Db.Database, Prefix(tenant) + ":shard:*"))
            {
                hashes.Add((key, FaceRow));
            }
        }

        return hashes;
    }

    /// <summary>The tenants that have a key ending in <paramref name="suffix"/> under the gallery prefix.</summary>
    private async Task<List<string>> TenantsWithAsync(string suffix)
    {
        var prefix = Prefix(string.Empty);
        var tenants = new List<string>();
        foreach (var server in redis.GetServers().Where(s => !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(Db.Database, prefix + "*" + suffix))
            {
                var name = key.ToString();
                tenants.Add(name[prefix.Length..^suffix.Length]);
            }
        }

        return tenants;
    }

    private async Task<DataKeyRing?> WriteRingAsync(string tenant) => Cipher is null ? null : await Cipher.ForWriteAsync(tenant);

    private async Task<DataKeyRing?> ReadRingAsync(string tenant) => Cipher is null ? null : await Cipher.ForReadAsync(tenant);

    private static string OpenSubject(DataKeyRing? ring, string subjectId, byte[] value) =>
        Encoding.UTF8.GetString(DataKeyRing.OpenOrPlain(ring, value, SubjectRow(subjectId)));

    private static string[] FaceRow(string faceId) => ["face", faceId];

    private static string[] PhotoRow(string faceId) => ["photo", faceId];

    private static string[] SubjectRow(string subjectId) => ["subject", subjectId];

    private RedisKey Keys(string tenant) => Prefix(tenant) + ":keys";

    private RedisKey SealedMarker(string tenant) => Prefix(tenant) + ":sealed";

    private static WrappedDataKey ToKey(string json) => JsonSerializer.Deserialize<WrappedDataKey>(json)!;
}
