using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using FaceOrleans.Vision;
using StackExchange.Redis;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// Gallery records in Redis (cluster mode). A shard is one hash, a face one field of it (subject id and
/// float32 embedding), so enrolling or deleting a face writes one field; a subject keeps the set of its faces
/// for deletion and counting, and a sorted set orders subjects for pagination.
/// </summary>
public sealed class RedisGalleryStore(IConnectionMultiplexer redis, string serviceId) : IGalleryStore
{
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
        var transaction = Db.CreateTransaction();
        transaction.AddCondition(Condition.HashNotExists(Subjects(tenant), subject.Id));
        _ = transaction.HashSetAsync(Subjects(tenant), subject.Id, JsonSerializer.Serialize(new SubjectRecord(subject.DisplayName, subject.Metadata, subject.CreatedUtc)));
        _ = transaction.SortedSetAddAsync(Order(tenant), subject.Id, subject.CreatedUtc.UtcTicks);
        return await transaction.ExecuteAsync();
    }

    public async Task<SubjectInfo?> GetSubjectAsync(string tenant, string subjectId)
    {
        var value = await Db.HashGetAsync(Subjects(tenant), subjectId);
        return value.IsNull ? null : ToInfo(subjectId, value!, await Db.SetLengthAsync(FacesOf(tenant, subjectId)));
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
        var faces = await Db.SetMembersAsync(FacesOf(tenant, subjectId));
        var transaction = Db.CreateTransaction();
        var removed = transaction.HashDeleteAsync(Subjects(tenant), subjectId);
        _ = transaction.SortedSetRemoveAsync(Order(tenant), subjectId);
        foreach (var member in faces)
        {
            var (shard, faceId) = SplitMember(member!);
            _ = transaction.HashDeleteAsync(Shard(tenant, shard), faceId);
            _ = transaction.HashDeleteAsync(Photos(tenant), faceId);
        }

        _ = transaction.KeyDeleteAsync(FacesOf(tenant, subjectId));
        await transaction.ExecuteAsync();
        return await removed;
    }

    public async Task AddFaceAsync(string tenant, int shard, StoredFace face, byte[]? photo = null)
    {
        var transaction = Db.CreateTransaction();
        if (photo is not null)
        {
            _ = transaction.HashSetAsync(Photos(tenant), face.FaceId, photo);
        }

        // The subject may be deleted while its face is being embedded; then the face must not be stored.
        transaction.AddCondition(Condition.HashExists(Subjects(tenant), face.SubjectId));
        _ = transaction.HashSetAsync(Shard(tenant, shard), face.FaceId, Encode(face));
        _ = transaction.SetAddAsync(FacesOf(tenant, face.SubjectId), $"{shard}:{face.FaceId}");
        if (!await transaction.ExecuteAsync())
        {
            throw new RequestRejectedException(RejectionCode.UnknownSubject, null, $"Subject '{face.SubjectId}' does not exist.");
        }
    }

    public async Task<bool> DeleteFaceAsync(string tenant, int shard, string subjectId, string faceId)
    {
        if (!await Db.SetRemoveAsync(FacesOf(tenant, subjectId), $"{shard}:{faceId}"))
        {
            return false;
        }

        await Db.HashDeleteAsync(Shard(tenant, shard), faceId);
        await Db.HashDeleteAsync(Photos(tenant), faceId);
        return true;
    }

    public async Task<byte[]?> GetPhotoAsync(string tenant, string subjectId, string faceId)
    {
        var member = await Db.SetMembersAsync(FacesOf(tenant, subjectId));
        if (!member.Any(m => ((string)m!).EndsWith(":" + faceId, StringComparison.Ordinal)))
        {
            return null;
        }

        var photo = await Db.HashGetAsync(Photos(tenant), faceId);
        return photo.IsNull ? null : (byte[])photo!;
    }

    public async IAsyncEnumerable<StoredFace> LoadShardAsync(string tenant, int shard, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entry in Db.HashScanAsync(Shard(tenant, shard), pageSize: 1000).WithCancellation(cancellationToken))
        {
            yield return Decode(entry.Name!, entry.Value!);
        }
    }

    private string Prefix(string tenant) => $"faceorleans:{serviceId}:gallery:{tenant}";

    private RedisKey Subjects(string tenant) => Prefix(tenant) + ":subjects";

    private RedisKey Order(string tenant) => Prefix(tenant) + ":subject-order";

    private RedisKey Photos(string tenant) => Prefix(tenant) + ":photos";

    private RedisKey FacesOf(string tenant, string subjectId) => Prefix(tenant) + ":faces-of:" + subjectId;

    private RedisKey Shard(string tenant, int shard) => Prefix(tenant) + ":shard:" + shard.ToString(CultureInfo.InvariantCulture);

    private static (int Shard, string FaceId) SplitMember(string member)
    {
        var colon = member.IndexOf(':', StringComparison.Ordinal);
        return (int.Parse(member.AsSpan(0, colon), CultureInfo.InvariantCulture), member[(colon + 1)..]);
    }

    /// <summary>[subject id length: int32][subject id: UTF-8][embedding: float32 little-endian].</summary>
    private static byte[] Encode(StoredFace face)
    {
        var subject = Encoding.UTF8.GetBytes(face.SubjectId);
        var embedding = EmbeddingBytes.ToBytes(face.Embedding);
        var bytes = new byte[4 + subject.Length + embedding.Length];
        BitConverter.TryWriteBytes(bytes, subject.Length);
        subject.CopyTo(bytes, 4);
        embedding.CopyTo(bytes, 4 + subject.Length);
        return bytes;
    }

    private static StoredFace Decode(string faceId, byte[] bytes)
    {
        var length = BitConverter.ToInt32(bytes, 0);
        return new StoredFace(faceId, Encoding.UTF8.GetString(bytes, 4, length), EmbeddingBytes.FromBytes(bytes.AsSpan(4 + length)));
    }

    private static SubjectInfo ToInfo(string id, string json, long faces)
    {
        var record = JsonSerializer.Deserialize<SubjectRecord>(json)!;
        return new SubjectInfo(id, record.DisplayName, record.Metadata, record.CreatedUtc, (int)faces);
    }

    private sealed record SubjectRecord(string? DisplayName, IReadOnlyDictionary<string, string>? Metadata, DateTimeOffset CreatedUtc);
}
