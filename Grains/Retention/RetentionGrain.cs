using FaceOrleans.Grains.Gallery;
using Microsoft.Extensions.DependencyInjection;
using FaceOrleans.Grains.Placement;
using FaceOrleans.Vision;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Grains.Retention;

/// <summary>
/// Erases what a tenant's retention settings make due: subjects not refreshed in <c>face_retention_days</c> through
/// the gallery's own subject deletion (store rows, shard caches and the store's log, as <c>DELETE …/subjects/{id}</c>),
/// stored photos older than <c>photo_retention_days</c> (rows deleted with secure_delete, the log emptied), and audit
/// entries older than <c>audit_retention_days</c> (the chain re-anchored). What it erased is appended to the trail
/// after the audit pruning, so the record of the erasure is kept. Every step is idempotent, so a sweep cut short by a
/// restart or a silo failure is finished by the next; not reentrant, so two sweeps of one tenant never overlap.
/// </summary>
[TenantScoped]
[GrainType("retention")]
public sealed class RetentionGrain(
    IGalleryStore store, [FromKeyedServices(RetentionClock.Key)] TimeProvider clock, IOptions<RetentionOptions> options) : Grain, IRetentionGrain
{
    private DateTimeOffset _lastSweep = DateTimeOffset.MinValue;
    private RetentionReport _lastReport = new([], 0, 0);

    private string Tenant => this.GetPrimaryKeyString();

    public async Task<RetentionReport> Sweep()
    {
        // Every silo's sweeper may list this tenant: one sweep per half interval is enough.
        var now = clock.GetUtcNow();
        if (now - _lastSweep < options.Value.Interval / 2)
        {
            return _lastReport;
        }

        var settings = await GrainFactory.GetGrain<ITenantGrain>(Tenant).GetSettings();
        var gallery = GrainFactory.GetGrain<IGalleryGrain>(Tenant);
        var subjects = new List<string>();
        if (settings.FaceRetentionDays is { } faceDays)
        {
            foreach (var subject in await store.SubjectsNotRefreshedSinceAsync(Tenant, now.AddDays(-faceDays)))
            {
                try
                {
                    await gallery.DeleteSubject(subject);
                    subjects.Add(subject);
                }
                catch (RequestRejectedException ex) when (ex.Code == RejectionCode.UnknownSubject)
                {
                    // Deleted by a client meanwhile: nothing left to erase.
                }
            }
        }

        var photos = 0;
        if (settings.PhotoRetentionDays is { } photoDays && (photos = await store.DeletePhotosEnrolledBeforeAsync(Tenant, now.AddDays(-photoDays))) > 0)
        {
            await store.EraseRemnantsAsync();
        }

        var audit = GrainFactory.GetGrain<IAuditGrain>(Tenant);
        var pruned = settings.AuditRetentionDays is { } auditDays ? await audit.Prune(now.AddDays(-auditDays)) : 0;
        if (subjects.Count > 0 || photos > 0)
        {
            await audit.Append(new AuditRecord("retention.erase", "retention", 0, null, null, null,
                subjects.Select(s => new AuditSubject(s)).ToArray(),
                FormattableString.Invariant($"subjects not refreshed in {settings.FaceRetentionDays} days: {subjects.Count}; photos older than {settings.PhotoRetentionDays} days: {photos}")));
        }

        _lastSweep = now;
        return _lastReport = new RetentionReport(subjects, photos, pruned);
    }
}
