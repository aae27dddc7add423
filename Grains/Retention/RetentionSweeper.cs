using FaceOrleans.Grains.Audit;
using FaceOrleans.Grains.Slices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Grains.Retention;

/// <summary>
/// Runs on every silo: shortly after start, then every <see cref="RetentionOptions.Interval"/>, asks the
/// <see cref="IRetentionGrain"/> of each tenant it knows (those its slice serves or stands by for, and every tenant
/// with an audit trail) to sweep. Nothing is remembered between runs: what fell due while the service was down, or
/// while a silo failed over, is erased by the next silo's next run, and a sweep is idempotent.
/// </summary>
public sealed partial class RetentionSweeper(
    IGrainFactory grains, IAuditStore trails, IOptions<SliceOptions> slice, IOptions<RetentionOptions> options, ILogger<RetentionSweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(options.Value.FirstSweepDelay, stoppingToken);
            using var timer = new PeriodicTimer(options.Value.Interval);
            do
            {
                await SweepAllAsync();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }

    private async Task SweepAllAsync()
    {
        IEnumerable<string> tenants = [.. slice.Value.Tenants, .. slice.Value.StandbyFor];
        try
        {
            tenants = tenants.Union(await trails.ListTenantsAsync(), StringComparer.Ordinal);
        }
        catch (Exception ex)
        {
            LogListFailed(logger, ex);
        }

        foreach (var tenant in tenants)
        {
            try
            {
                var report = await grains.GetGrain<IRetentionGrain>(tenant).Sweep();
                if (report.SubjectsErased.Count > 0 || report.PhotosErased > 0 || report.AuditEntriesErased > 0)
                {
                    LogSwept(logger, tenant, report.SubjectsErased.Count, report.PhotosErased, report.AuditEntriesErased);
                }
            }
            catch (Exception ex)
            {
                // A tenant whose slice is down (or served nowhere) is swept by a later run.
                LogSweepFailed(logger, ex, tenant);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention erased {Subjects} subjects, {Photos} photos and {Entries} audit entries of tenant {Tenant}")]
    private static partial void LogSwept(ILogger logger, string tenant, int subjects, int photos, long entries);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention could not sweep tenant {Tenant}; the next run tries again")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception, string tenant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention could not list the tenants with an audit trail; sweeping the slice's own")]
    private static partial void LogListFailed(ILogger logger, Exception exception);
}
