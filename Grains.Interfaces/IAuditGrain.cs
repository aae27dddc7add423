namespace FaceOrleans.Contracts;

/// <summary>
/// A tenant's audit trail (key = tenant id), on the tenant's own silo: appends are durable before they return, and
/// concurrent appends share one write (group commit).
/// </summary>
[Alias("faceorleans.IAuditGrain")]
public interface IAuditGrain : IGrainWithStringKey
{
    /// <summary>
    /// Appends the record; returns once it is stored, with the entry it became. Keyed by the record's request id and
    /// action: the same record sent again (a resend after a silo or gateway died) returns the entry the first made.
    /// The token lets the API cancel and resend a call stuck behind a silo that died; the grain does not stop a write
    /// for it (the resend finds the entry).
    /// </summary>
    [Alias("Append"), Idempotent]
    Task<AuditEntry> Append(AuditRecord record, CancellationToken cancellationToken = default);

    [Alias("Query")]
    Task<AuditPage> Query(AuditQuery query);

    [Alias("Verify")]
    Task<AuditVerification> Verify();

    /// <summary>
    /// A tenant's deletion: erases every entry of the trail and appends <paramref name="deletion"/> as the one entry
    /// kept, chained to the erased head (so the deletion is accountable and the head it closed is on record).
    /// </summary>
    [Alias("EraseForDeletion")]
    Task<AuditEntry> EraseForDeletion(AuditRecord deletion);

    /// <summary>Retention: erases the entries appended before <paramref name="before"/>; how many, recorded by an entry of its own when any.</summary>
    [Alias("Prune")]
    Task<long> Prune(DateTimeOffset before);
}
