using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using FaceOrleans.Grains.Protection;
using FaceOrleans.Vision;
using StackExchange.Redis;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// Gallery records in Redis (cluster mode). A shard is one hash, a face one field of it (subject id and
/// float32 embedding), so enrolling or deleting a face writes one field; a subject keeps the set of its faces
/// for deletion and counting, and a sorted set orders subjects for pagination. The layout is one string key
/// that every face write is conditional on, so no face lands in a shard a re-shard is emptying. A face's value
/// records the recognizer of its embedding; a value written before model identity is read as
/// <paramref name="legacy"/> attributes it and written back with it, once. With a key provider, every face value,
/// photo and subject record is sealed under the tenant's data key (RedisGalleryStore.Protection.cs).
/// </summary>
public sealed partial class RedisGalleryStore(
    IConnectionMultiplexer redis, string serviceId, LegacyEmbeddings? legacy = null, IKeyProvider? keys = null, bool seal = true, TimeProvider? clock = null)
    : IProtectedGalleryStore
{
    /// <summary>Opens a value that records its model; a legacy value opens with its subject id's length, never negative.</summary>
    private const int ModelMarker = -1;

    private readonly LegacyEmbeddings _legacy = legacy ?? LegacyEmbeddings.None;

    private IDatabase Db => redis.IsConnected
        ? redis.GetDatabase()
        : throw new GalleryStoreUnavailableException("The gallery's Redis server is not connected; retry shortly.");

    /// <summary>A connection that keeps retrying in the background instead of failing for good on a slow first connect.</summary>
    public static IConnectionMultiplexer Connect(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        return ConnectionMultiplexer.Connect(options);
    }

    public async Task<bool> CreateSubjectAsync(string tenant, SubjectInfo subject)
    {
        var ring = await WriteRingAsync(tenant);
        var transaction = Db.CreateTransaction();
        transaction.AddCondition(Condition.HashNotExists(Subjects(tenant), subject.Id));
        var json = JsonSerializer.Serialize(new SubjectRecord(subject.DisplayName, subject.Metadata, subject.CreatedUtc));
        _ = transaction.HashSetAsync(Subjects(tenant), subject.Id, ring is null ? json : ring.Seal(Encoding.UTF8.GetBytes(json), SubjectRow(subject.Id)));
        _ = transaction.SortedSetAddAsync(Order(tenant), subject.Id, subject.CreatedUtc.UtcTicks);
        return await transaction.ExecuteAsync();
    }

    public async Task<SubjectInfo?> GetSubjectAsync(string tenant, string subjectId)
    {
        var value = await Db.HashGetAsync(Subjects(tenant), subjectId);
        return value.IsNull ? null : ToInfo(subjectId, OpenSubject(await ReadRingAsync(tenant), subjectId, (byte[])value!), await Db.SetLengthAsync(FacesOf(tenant, subjectId)));
    }

    public async Task<(IReadOnlyList<SubjectInfo> Items, long Total)> ListSubjectsAsync(string tenant, int offset, int limit)
    {
        var total = await Db.SortedSetLengthAsync(Order(tenant));
        var ids = await Db.SortedSetRangeByRankAsync(Order(tenant), offset, offset + limit - 1);
        var items = new List<SubjectInfo>(ids.Length);
        foreach (var id in ids)
        {
            if (await GetSubjectAsync(tenant, id!) is { } subject)
            {
                items.Add(subject);
            }
        }

        return (items, total);
    }

    public async Task<bool> DeleteSubjectAsync(string tenant, string subjectId)
    {
        // The subject's face set must not change between reading it and deleting what it names (a concurrent
        // enrollment or re-shard move would otherwise leave a face record behind): retry until it held still.
        while (true)
        {
            var faces = await Db.SetMembersAsync(FacesOf(tenant, subjectId));
            var transaction = Db.CreateTransaction();
            transaction.AddCondition(Condition.SetLengthEqual(FacesOf(tenant, subjectId), faces.Length));
            var removed = transaction.HashDeleteAsync(Subjects(tenant), subjectId);
            _ = transaction.SortedSetRemoveAsync(Order(tenant), subjectId);
            foreach (var member in faces)
            {
                transaction.AddCondition(Condition.SetContains(FacesOf(tenant, subjectId), member));
                var (shard, faceId) = SplitMember(member!);
                _ = transaction.HashDeleteAsync(Shard(tenant, shard), faceId);
                _ = transaction.HashDeleteAsync(Photos(tenant), faceId);
                _ = transaction.HashDeleteAsync(Enrolled(tenant), faceId);
            }

            _ = transaction.KeyDeleteAsync(FacesOf(tenant, subjectId));
            if (await transaction.ExecuteAsync())
            {
                return await removed;
            }
        }
    }

    public async Task<bool> AddFaceAsync(string tenant, int shard, StoredFace face, byte[]? photo = null)
    {
        var ring = await WriteRingAsync(tenant);
        while (true)
        {
            var layout = await Db.StringGetAsync(Layout(tenant));
            if (!layout.IsNull && !GalleryLayout.Parse(layout!).Accepts(shard))
            {
                return false;
            }

            var transaction = Db.CreateTransaction();
            if (photo is not null)
            {
                _ = transaction.HashSetAsync(Photos(tenant), face.FaceId, ring is null ? photo : ring.Seal(photo, PhotoRow(face.FaceId)));
            }

            // The subject may be deleted while its face is being embedded; then the face must not be stored.
            // Nor may it land in a shard a re-shard began emptying after the layout was read.
            transaction.AddCondition(Condition.HashExists(Subjects(tenant), face.SubjectId));
            transaction.AddCondition(layout.IsNull ? Condition.KeyNotExists(Layout(tenant)) : Condition.StringEqual(Layout(tenant), layout));
            _ = transaction.HashSetAsync(Shard(tenant, shard), face.FaceId, Encode(ring, face));
            _ = transaction.HashSetAsync(Enrolled(tenant), face.FaceId, Now);
            _ = transaction.SetAddAsync(FacesOf(tenant, face.SubjectId), $"{shard}:{face.FaceId}");
            if (await transaction.ExecuteAsync())
            {
                return true;
            }

            if (!await Db.HashExistsAsync(Subjects(tenant), face.SubjectId))
            {
                throw new RequestRejectedException(RejectionCode.UnknownSubject, null, $"Subject '{face.SubjectId}' does not exist.");
            }
        }
    }

    /// <summary>Every key under the tenant's gallery prefix, found by SCAN on each primary, deleted.</summary>
    public async Task DeleteTenantAsync(string tenant)
    {
        foreach (var server in redis.GetServers().Where(s => !s.IsReplica))
        {
            var keys = new List<RedisKey>();
            await foreach (var key in server.KeysAsync(Db.Database, Prefix(tenant) + ":*"))
            {
                keys.Add(key);
            }

            foreach (var chunk in keys.Chunk(500))
            {
                await Db.KeyDeleteAsync(chunk);
            }
        }

        if (Cipher is not null)
        {
            await Cipher.DeleteTenantAsync(tenant);
        }
    }

    /// <summary>
    /// Nothing to do from here: a delete removes the fields from Redis's memory at once, but an RDB snapshot or
    /// append-only file the operator's Redis keeps on disk holds them until its next save or rewrite, which Redis
    /// schedules on its own (docs/data-protection.md). A client cannot force that safely on every deployment
    /// (managed Redis refuses BGSAVE/BGREWRITEAOF, and a save per delete would stall a large server).
    /// </summary>
    public Task EraseRemnantsAsync() => Task.CompletedTask;

    public async Task<int?> DeleteFaceAsync(string tenant, string subjectId, string faceId)
    {
        // Retried when a re-shard moves the face between finding its shard and deleting it.
        while (true)
        {
            var members = await Db.SetMembersAsync(FacesOf(tenant, subjectId));
            var member = members.Select(m => (string)m!).FirstOrDefault(m => m.EndsWith(":" + faceId, StringComparison.Ordinal));
            if (member is null)
            {
                return null;
            }

            var (shard, _) = SplitMember(member);
            var transaction = Db.CreateTransaction();
            transaction.AddCondition(Condition.SetContains(FacesOf(tenant, subjectId), member));
            _ = transaction.SetRemoveAsync(FacesOf(tenant, subjectId), member);
            _ = transaction.HashDeleteAsync(Shard(tenant, shard), faceId);
            _ = transaction.HashDeleteAsync(Photos(tenant), faceId);
            _ = transaction.HashDeleteAsync(Enrolled(tenant), faceId);
            if (await transaction.ExecuteAsync())
            {
                return shard;
            }
        }
    }

    public async Task<byte[]?> GetPhotoAsync(string tenant, string subjectId, string faceId)
    {
        var member = await Db.SetMembersAsync(FacesOf(tenant, subjectId));
        if (!member.Any(m => ((string)m!).EndsWith(":" + faceId, StringComparison.Ordinal)))
        {
            return null;
        }

        var photo = await Db.HashGetAsync(Photos(tenant), faceId);
        return photo.IsNull ? null : DataKeyRing.OpenOrPlain(await ReadRingAsync(tenant), (byte[])photo!, PhotoRow(faceId));
    }

    public async IAsyncEnumerable<StoredFace> LoadShardAsync(string tenant, int shard, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var ring = await ReadRingAsync(tenant);
        var legacyEntries = new List<(HashEntry Entry, StoredFace Face)>();
        await foreach (var entry in Db.HashScanAsync(Shard(tenant, shard), pageSize: 1000).WithCancellation(cancellationToken))
        {
            var face = Decode(ring, entry.Name!, entry.Value!, out var isLegacy);
            if (isLegacy)
            {
                legacyEntries.Add((entry, face));
            }

            yield return face;
        }

        await RewriteLegacyAsync(tenant, shard, legacyEntries);
    }

    public Task<long> CountFacesAsync(string tenant, int shard) => Db.HashLengthAsync(Shard(tenant, shard));

    public async Task<IReadOnlyList<string>> ListFaceIdsAsync(string tenant, int shard, CancellationToken cancellationToken = default) =>
        (await Db.HashKeysAsync(Shard(tenant, shard))).Select(k => (string)k!).ToArray();

    public async Task<IReadOnlyList<StoredFace>> GetFacesAsync(string tenant, int shard, IReadOnlyCollection<string> faceIds, CancellationToken cancellationToken = default)
    {
        var ring = await ReadRingAsync(tenant);
        var ids = faceIds.Select(id => (RedisValue)id).ToArray();
        var values = await Db.HashGetAsync(Shard(tenant, shard), ids);
        var faces = new List<StoredFace>(ids.Length);
        var legacyEntries = new List<(HashEntry Entry, StoredFace Face)>();
        foreach (var (id, value) in ids.Zip(values).Where(p => !p.Second.IsNull))
        {
            var face = Decode(ring, id!, value!, out var isLegacy);
            faces.Add(face);
            if (isLegacy)
            {
                legacyEntries.Add((new HashEntry(id, value), face));
            }
        }

        await RewriteLegacyAsync(tenant, shard, legacyEntries);
        return faces;
    }

    /// <summary>Gives faces of the shard new embeddings in place (a re-embed); a face deleted meanwhile is skipped.</summary>
    public async Task<int> ReplaceEmbeddingsAsync(string tenant, int shard, IReadOnlyList<StoredFace> faces)
    {
        // HSET has no "only if present": a transaction per face, conditional on its field, skips a face deleted meanwhile.
        var ring = await WriteRingAsync(tenant);
        var written = await Task.WhenAll(faces.Select(f =>
        {
            var transaction = Db.CreateTransaction();
            transaction.AddCondition(Condition.HashExists(Shard(tenant, shard), f.FaceId));
            _ = transaction.HashSetAsync(Shard(tenant, shard), f.FaceId, Encode(ring, f));
            return transaction.ExecuteAsync();
        }));
        return written.Count(w => w);
    }

    /// <summary>Writes legacy values back with the model they were attributed to, unless the face changed or left meanwhile.</summary>
    private async Task RewriteLegacyAsync(string tenant, int shard, List<(HashEntry Entry, StoredFace Face)> entries)
    {
        var ring = entries.Count == 0 ? null : await WriteRingAsync(tenant);
        foreach (var (entry, face) in entries)
        {
            var transaction = Db.CreateTransaction();
            transaction.AddCondition(Condition.HashEqual(Shard(tenant, shard), entry.Name, entry.Value));
            _ = transaction.HashSetAsync(Shard(tenant, shard), entry.Name, Encode(ring, face));
            await transaction.ExecuteAsync();
        }
    }

    public async Task<GalleryLayout?> GetLayoutAsync(string tenant)
    {
        var layout = await Db.StringGetAsync(Layout(tenant));
        return layout.IsNull ? null : GalleryLayout.Parse(layout!);
    }

    public async Task<bool> ReplaceLayoutAsync(string tenant, GalleryLayout? expected, GalleryLayout layout)
    {
        var transaction = Db.CreateTransaction();
        transaction.AddCondition(expected is null ? Condition.KeyNotExists(Layout(tenant)) : Condition.StringEqual(Layout(tenant), expected.ToString()));
        _ = transaction.StringSetAsync(Layout(tenant), layout.ToString());
        return await transaction.ExecuteAsync();
    }

    public async Task<IReadOnlyList<(string FaceId, int Shard)>> MoveFacesAsync(string tenant, int fromShard, int maxFaces, Func<string, int> shardOf)
    {
        // One MULTI per batch, conditional on every face still being where it was read: a face deleted
        // meanwhile makes the batch retry, and a crash leaves each face in exactly one shard hash.
        var ring = await ReadRingAsync(tenant);
        while (true)
        {
            var batch = new List<HashEntry>(maxFaces);
            await foreach (var entry in Db.HashScanAsync(Shard(tenant, fromShard), pageSize: maxFaces))
            {
                batch.Add(entry);
                if (batch.Count == maxFaces)
                {
                    break;
                }
            }

            var moved = new List<(string FaceId, int Shard)>(batch.Count);
            var transaction = Db.CreateTransaction();
            foreach (var entry in batch)
            {
                var faceId = (string)entry.Name!;
                var to = shardOf(faceId);
                var subjectId = Decode(ring, faceId, entry.Value!, out _).SubjectId;
                transaction.AddCondition(Condition.HashEqual(Shard(tenant, fromShard), entry.Name, entry.Value));
                _ = transaction.HashSetAsync(Shard(tenant, to), entry.Name, entry.Value);
                _ = transaction.HashDeleteAsync(Shard(tenant, fromShard), entry.Name);
                _ = transaction.SetRemoveAsync(FacesOf(tenant, subjectId), $"{fromShard}:{faceId}");
                _ = transaction.SetAddAsync(FacesOf(tenant, subjectId), $"{to}:{faceId}");
                moved.Add((faceId, to));
            }

            if (batch.Count == 0 || await transaction.ExecuteAsync())
            {
                return moved;
            }
        }
    }

    private string Prefix(string tenant) => $"faceorleans:{serviceId}:gallery:{tenant}";

    private RedisKey Subjects(string tenant) => Prefix(tenant) + ":subjects";

    private RedisKey Order(string tenant) => Prefix(tenant) + ":subject-order";

    private RedisKey Photos(string tenant) => Prefix(tenant) + ":photos";

    private RedisKey Layout(string tenant) => Prefix(tenant) + ":layout";

    private RedisKey FacesOf(string tenant, string subjectId) => Prefix(tenant) + ":faces-of:" + subjectId;

    private RedisKey Shard(string tenant, int shard) => Prefix(tenant) + ":shard:" + shard.ToString(CultureInfo.InvariantCulture);

    private static (int Shard, string FaceId) SplitMember(string member)
    {
        var colon = member.IndexOf(':', StringComparison.Ordinal);
        return (int.Parse(member.AsSpan(0, colon), CultureInfo.InvariantCulture), member[(colon + 1)..]);
    }

    /// <summary>
    /// [-1: int32][model key length: int32][model key (<see cref="EmbeddingModel.Key"/>): UTF-8][subject id length: int32]
    /// [subject id: UTF-8][embedding: float32 little-endian]. A legacy value is the same without its first two fields.
    /// </summary>
    private static byte[] Encode(DataKeyRing? ring, StoredFace face)
    {
        var model = Encoding.UTF8.GetBytes(face.Model.Key);
        var subject = Encoding.UTF8.GetBytes(face.SubjectId);
        var embedding = EmbeddingBytes.ToBytes(face.Embedding);
        var bytes = new byte[12 + model.Length + subject.Length + embedding.Length];
        BitConverter.TryWriteBytes(bytes, ModelMarker);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), model.Length);
        model.CopyTo(bytes, 8);
        BitConverter.TryWriteBytes(bytes.AsSpan(8 + model.Length), subject.Length);
        subject.CopyTo(bytes, 12 + model.Length);
        embedding.CopyTo(bytes, 12 + model.Length + subject.Length);
        return ring is null ? bytes : ring.Seal(bytes, FaceRow(face.FaceId));
    }

    private StoredFace Decode(DataKeyRing? ring, string faceId, byte[] value, out bool isLegacy)
    {
        var bytes = DataKeyRing.OpenOrPlain(ring, value, FaceRow(faceId));
        isLegacy = BitConverter.ToInt32(bytes, 0) != ModelMarker;
        EmbeddingModel? model = null;
        var at = 0;
        if (!isLegacy)
        {
            var modelLength = BitConverter.ToInt32(bytes, 4);
            model = EmbeddingModel.ParseKey(Encoding.UTF8.GetString(bytes, 8, modelLength));
            at = 8 + modelLength;
        }

        var length = BitConverter.ToInt32(bytes, at);
        var embedding = EmbeddingBytes.FromBytes(bytes.AsSpan(at + 4 + length));
        return new StoredFace(faceId, Encoding.UTF8.GetString(bytes, at + 4, length), embedding, model ?? _legacy.For(embedding.Length));
    }

    private static SubjectInfo ToInfo(string id, string json, long faces)
    {
        var record = JsonSerializer.Deserialize<SubjectRecord>(json)!;
        return new SubjectInfo(id, record.DisplayName, record.Metadata, record.CreatedUtc, (int)faces);
    }

    private sealed record SubjectRecord(string? DisplayName, IReadOnlyDictionary<string, string>? Metadata, DateTimeOffset CreatedUtc);
}
