using FaceOrleans.Grains.Placement;
using FaceOrleans.Grains.Retention;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;

namespace FaceOrleans.Grains.Audit;

/// <summary>
/// A tenant's audit trail, on the tenant's own silo. Appends are group-committed: the first append writes at once;
/// appends that arrive while a write is running wait together and go in the next write, one transaction for all,
/// so a busy tenant pays one store round trip per batch, not per request, and each caller still gets its answer
/// only once its entry is durable. The grain holds the chain's head between writes; it is read from the store on
/// the first write of an activation, so a restart or a move to another silo continues the same chain.
/// </summary>
[Reentrant]
[TenantScoped]
[GrainType("audit")]
public sealed class AuditGrain(IAuditStore store, [FromKeyedServices(RetentionClock.Key)] TimeProvider time) : Grain, IAuditGrain, IDisposable
{
    // Appends, prunes and erasures change the head: one at a time, while queries and verification interleave.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private List<(AuditRecord Record, TaskCompletionSource<AuditEntry> Done)> _pending = [];
    private Task? _flushing;
    private AuditHead? _head;

    // The appends of recent requests by (request id, action), so that an API's resend of an append it could not prove
    // delivered (IAuditGrain.Append is [Idempotent]) returns the first append's entry instead of adding a second.
    // Bounded: a resend comes within ClientCallResender's budget, seconds after the first.
    private const int RecentLimit = 4096;
    private readonly Dictionary<(string RequestId, string Action), Task<AuditEntry>> _recent = [];
    private readonly Queue<(string RequestId, string Action)> _recentOrder = new();

    private string Tenant => this.GetPrimaryKeyString();

    public Task<AuditEntry> Append(AuditRecord record, CancellationToken cancellationToken = default)
    {
        if (record.RequestId is not { } requestId)
        {
            return Enqueue(record);
        }

        var key = (requestId, record.Action);
        if (_recent.TryGetValue(key, out var first) && !first.IsFaulted && !first.IsCanceled)
        {
            return first;
        }

        // A record whose first append failed is appended again and takes its place.
        if (!_recent.ContainsKey(key))
        {
            _recentOrder.Enqueue(key);
        }

        var appended = _recent[key] = Enqueue(record);
        if (_recentOrder.Count > RecentLimit)
        {
            _recent.Remove(_recentOrder.Dequeue());
        }

        return appended;
    }

    private Task<AuditEntry> Enqueue(AuditRecord record)
    {
        var done = new TaskCompletionSource<AuditEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending.Add((record, done));
        // A flush that finished synchronously has already cleared the field, so test it for completion too.
        if (_flushing is not { IsCompleted: false })
        {
            _flushing = FlushAsync();
        }

        return done.Task;
    }

    public async Task<AuditPage> Query(AuditQuery query)
    {
        // One more than asked: whether a next page exists, without counting.
        var entries = await store.QueryAsync(Tenant, query with { Limit = query.Limit + 1 });
        var page = entries.Take(query.Limit).Select(AuditChain.Open).ToArray();
        return new AuditPage(page, entries.Count > query.Limit ? page[^1].Sequence : null);
    }

    public async Task<AuditVerification> Verify()
    {
        var head = await store.GetHeadAsync(Tenant);
        return await AuditChain.VerifyAsync(head, store.ReadAllAsync(Tenant, head.AnchorSequence));
    }

    public Task<AuditEntry> EraseForDeletion(AuditRecord deletion) => RemoveThenAppendAsync(head => (head.Sequence, head.Hash), deletion);

    public async Task<long> Prune(DateTimeOffset before)
    {
        var last = await store.LastBeforeAsync(Tenant, before.ToUnixTimeMilliseconds());
        if (last is null)
        {
            return 0;
        }

        var removed = 0L;
        await RemoveThenAppendAsync(head =>
        {
            removed = last.Sequence - head.AnchorSequence;
            return (last.Sequence, last.Hash);
        }, new AuditRecord("audit.retention", "retention", 0, null, null, null, [],
            $"removed entries before {before:O}"));
        return removed;
    }

    /// <summary>Removes entries through the one <paramref name="through"/> picks, then appends <paramref name="record"/> to the same chain.</summary>
    private async Task<AuditEntry> RemoveThenAppendAsync(Func<AuditHead, (long Sequence, string Hash)> through, AuditRecord record)
    {
        await _writeLock.WaitAsync();
        try
        {
            var head = _head ??= await store.GetHeadAsync(Tenant);
            var (sequence, hash) = through(head);
            if (sequence > head.AnchorSequence)
            {
                await store.RemoveThroughAsync(Tenant, sequence, hash);
                _head = head = head with { AnchorSequence = sequence, AnchorHash = hash };
            }

            return (await WriteAsync([record])).Single();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Writes what is pending, batch after batch, until nothing is; runs on the grain's thread between awaits.</summary>
    private async Task FlushAsync()
    {
        try
        {
            while (_pending.Count > 0)
            {
                var batch = _pending;
                _pending = [];
                try
                {
                    await _writeLock.WaitAsync();
                    try
                    {
                        var entries = await WriteAsync(batch.Select(p => p.Record).ToArray());
                        for (var i = 0; i < batch.Count; i++)
                        {
                            batch[i].Done.SetResult(entries[i]);
                        }
                    }
                    finally
                    {
                        _writeLock.Release();
                    }
                }
                catch (Exception ex)
                {
                    foreach (var (_, done) in batch)
                    {
                        done.TrySetException(ex);
                    }
                }
            }
        }
        finally
        {
            _flushing = null;
        }
    }

    /// <summary>Seals the records onto the chain and stores them with the new head; the held head moves only once stored.</summary>
    private async Task<AuditEntry[]> WriteAsync(AuditRecord[] records)
    {
        var head = _head ??= await store.GetHeadAsync(Tenant);
        var now = time.GetUtcNow();
        var stored = new List<StoredAuditEntry>(records.Length);
        var (sequence, hash) = (head.Sequence, head.Hash);
        foreach (var record in records)
        {
            var entry = AuditChain.Seal(++sequence, now, record, hash);
            stored.Add(entry);
            hash = entry.Hash;
        }

        var next = head with { Sequence = sequence, Hash = hash };
        try
        {
            await store.AppendAsync(Tenant, stored, next);
        }
        catch
        {
            _head = null; // Unknown whether it committed: read the head again before the next write.
            throw;
        }

        _head = next;
        return stored.Select(AuditChain.Open).ToArray();
    }

    public void Dispose() => _writeLock.Dispose();
}
