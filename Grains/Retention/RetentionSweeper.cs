using FaceOrleans.Grains.Audit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Grains.Retention;

/// <summary>
/// Runs on every silo: shortly after start, then every <see cref="RetentionOptions.Interval"/>, asks the
/// <see cref="IRetentionGrain"/> of every tenant with an audit trail to sweep: a tenant that ever enrolled, deleted,
/// changed or decided anything has one, and one that never did holds nothing to retain; tenants nobody has used
/// since start are not woken for nothing. Nothing is remembered between runs: what fell due while the service was
/// down, or while a silo failed over, is erased by the next silo's next run, and a sweep is idempotent.
/// </summary>
public sealed partial class RetentionSweeper(
    IGrainFactory grains, IAuditStore trails, IOptions<RetentionOptions> options, ILogger<RetentionSweeper> logger)
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
        IReadOnlyList<string> tenants;
        try
        {
            tenants = await trails.ListTenantsAsync();
        }
        catch (Exception ex)
        {
            LogListFailed(logger, ex);
            return;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention could not list the tenants with an audit trail; the next run tries again")]
    private static partial void LogListFailed(ILogger logger, Exception exception);
}
