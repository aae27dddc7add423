namespace FaceOrleans.Grains.Audit;

/// <summary>
/// Durable audit trails, one per tenant, in the gallery's store family: SQLite on one machine (a file beside the
/// gallery's), Redis in a cluster. Only <see cref="AuditGrain"/> writes, one batch at a time per tenant.
/// </summary>
public interface IAuditStore
{
    Task<AuditHead> GetHeadAsync(string tenant);

    /// <summary>Stores the entries and the new head in one atomic write, durable when it returns.</summary>
    Task AppendAsync(string tenant, IReadOnlyList<StoredAuditEntry> entries, AuditHead head);

    /// <summary>Up to <see cref="AuditQuery.Limit"/> entries after <see cref="AuditQuery.After"/> that match the query, in sequence order.</summary>
    Task<IReadOnlyList<StoredAuditEntry>> QueryAsync(string tenant, AuditQuery query);

    /// <summary>Every stored entry from <paramref name="after"/> on, in sequence order, as stored (to verify the chain).</summary>
    IAsyncEnumerable<StoredAuditEntry> ReadAllAsync(string tenant, long after, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the entries up to and including sequence <paramref name="through"/> and records that entry (with its
    /// <paramref name="hash"/>) as the anchor, in one write; it leaves no readable copy of them on disk where the store
    /// can (SQLite: zeroed and its log emptied).
    /// </summary>
    Task RemoveThroughAsync(string tenant, long through, string hash);

    /// <summary>The last entry appended before <paramref name="beforeMs"/>, or null.</summary>
    Task<StoredAuditEntry?> LastBeforeAsync(string tenant, long beforeMs);

    /// <summary>Every tenant with a trail (the retention sweep's list).</summary>
    Task<IReadOnlyList<string>> ListTenantsAsync();
}
