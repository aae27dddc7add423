using System.Runtime.CompilerServices;
using System.Text.Json;
using StackExchange.Redis;

namespace FaceOrleans.Grains.Audit;

/// <summary>
/// Audit trails in Redis (cluster mode), beside the gallery's keys: a tenant's entries are one hash
/// (<c>faceorleans:{serviceId}:audit:{tenant}:entries</c>, field = sequence number, value = the stored entry as JSON) and its
/// head and anchor another (<c>…:head</c>), written in one MULTI/EXEC; <c>faceorleans:{serviceId}:audit-tenants</c> lists the
/// tenants with a trail. Durable as the gallery is: as the operator's Redis persistence makes it.
/// Queries walk the sequence numbers from the cursor in chunks and filter in place.
/// </summary>
public sealed class RedisAuditStore(IConnectionMultiplexer redis, string serviceId) : IAuditStore
{
    private const int Chunk = 256;

    private IDatabase Db => redis.IsConnected
        ? redis.GetDatabase()
        : throw new GalleryStoreUnavailableException("The audit trail's Redis server is not connected; retry shortly.");

    public async Task<AuditHead> GetHeadAsync(string tenant)
    {
        var fields = await Db.HashGetAsync(Head(tenant), ["seq", "hash", "anchor_seq", "anchor_hash"]);
        return fields[0].IsNull
            ? AuditHead.Empty
            : new AuditHead((long)fields[0], fields[1]!, (long)fields[2], fields[3]!);
    }

    public async Task AppendAsync(string tenant, IReadOnlyList<StoredAuditEntry> entries, AuditHead head)
    {
        var transaction = Db.CreateTransaction();
        _ = transaction.HashSetAsync(Entries(tenant), entries.Select(e => new HashEntry(e.Sequence, JsonSerializer.Serialize(e))).ToArray());
        _ = transaction.HashSetAsync(Head(tenant), HeadFields(head));
        _ = transaction.SetAddAsync(Tenants, tenant);
        if (!await transaction.ExecuteAsync())
        {
            throw new GalleryStoreUnavailableException("The audit trail's append did not commit; retry shortly.");
        }
    }

    public async Task<IReadOnlyList<StoredAuditEntry>> QueryAsync(string tenant, AuditQuery query)
    {
        var head = await GetHeadAsync(tenant);
        var found = new List<StoredAuditEntry>();
        await foreach (var entry in ReadAllAsync(tenant, Math.Max(query.After, head.AnchorSequence), head.Sequence))
        {
            if (AuditChain.Matches(entry, query) && found.Count < query.Limit)
            {
                found.Add(entry);
            }

            if (found.Count == query.Limit || (query.To is { } to && entry.TimeMs >= to.ToUnixTimeMilliseconds()))
            {
                break; // Entries are appended in time order: none after this one can be earlier than To.
            }
        }

        return found;
    }

    public async IAsyncEnumerable<StoredAuditEntry> ReadAllAsync(string tenant, long after, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var head = await GetHeadAsync(tenant);
        await foreach (var entry in ReadAllAsync(tenant, after, head.Sequence).WithCancellation(cancellationToken))
        {
            yield return entry;
        }
    }

    public async Task RemoveThroughAsync(string tenant, long through, string hash)
    {
        var head = await GetHeadAsync(tenant);
        var transaction = Db.CreateTransaction();
        for (var from = head.AnchorSequence + 1; from <= through; from += Chunk)
        {
            var fields = Enumerable.Range(0, (int)Math.Min(Chunk, through - from + 1)).Select(i => (RedisValue)(from + i)).ToArray();
            _ = transaction.HashDeleteAsync(Entries(tenant), fields);
        }

        _ = transaction.HashSetAsync(Head(tenant), HeadFields(head with { AnchorSequence = through, AnchorHash = hash }));
        await transaction.ExecuteAsync();
    }

    public async Task<StoredAuditEntry?> LastBeforeAsync(string tenant, long beforeMs)
    {
        StoredAuditEntry? last = null;
        var head = await GetHeadAsync(tenant);
        await foreach (var entry in ReadAllAsync(tenant, head.AnchorSequence, head.Sequence))
        {
            if (entry.TimeMs >= beforeMs)
            {
                break;
            }

            last = entry;
        }

        return last;
    }

    public async Task<IReadOnlyList<string>> ListTenantsAsync() =>
        (await Db.SetMembersAsync(Tenants)).Select(t => t.ToString()).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Entries after <paramref name="after"/> through <paramref name="through"/> that are stored (a missing one is skipped: verify names it).</summary>
    private async IAsyncEnumerable<StoredAuditEntry> ReadAllAsync(string tenant, long after, long through)
    {
        for (var from = after + 1; from <= through; from += Chunk)
        {
            var fields = Enumerable.Range(0, (int)Math.Min(Chunk, through - from + 1)).Select(i => (RedisValue)(from + i)).ToArray();
            foreach (var value in await Db.HashGetAsync(Entries(tenant), fields))
            {
                if (!value.IsNull && Read(value!) is { } entry)
                {
                    yield return entry;
                }
            }
        }
    }

    private static StoredAuditEntry? Read(string value)
    {
        try
        {
            return JsonSerializer.Deserialize<StoredAuditEntry>(value);
        }
        catch (JsonException)
        {
            return null; // An entry that is not even JSON any more reads as missing.
        }
    }

    private static HashEntry[] HeadFields(AuditHead head) =>
    [
        new("seq", head.Sequence), new("hash", head.Hash),
        new("anchor_seq", head.AnchorSequence), new("anchor_hash", head.AnchorHash),
    ];

    private RedisKey Tenants => $"faceorleans:{serviceId}:audit-tenants";

    private RedisKey Entries(string tenant) => $"faceorleans:{serviceId}:audit:{tenant}:entries";

    private RedisKey Head(string tenant) => $"faceorleans:{serviceId}:audit:{tenant}:head";
}
