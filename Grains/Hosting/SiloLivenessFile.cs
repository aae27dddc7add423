using FaceOrleans.Contracts.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Grains.Hosting;

/// <summary>
/// The silo's liveness for an orchestrator (a silo serves no HTTP): while this silo is an active member of its cluster,
/// it rewrites <c>FaceOrleans:Cluster:LivenessFile</c> every <see cref="Interval"/>; the silo's <c>probe</c> command
/// passes while the file is fresh. A silo that is still joining, was declared dead, is stopping or hangs stops
/// writing, so the file goes stale; a silo that stops cleanly deletes it. Off when the setting is blank.
/// </summary>
public sealed class SiloLivenessFile(ISiloStatusOracle status, IOptions<FaceOrleansClusterOptions> options, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var file = options.Value.LivenessFile;
        if (string.IsNullOrWhiteSpace(file))
        {
            return;
        }

        file = Path.GetFullPath(file);
        try
        {
            using var timer = new PeriodicTimer(Interval, time);
            do
            {
                if (status.CurrentStatus == SiloStatus.Active)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                    await File.WriteAllTextAsync(file, $"{status.SiloName} active at {time.GetUtcNow():O}\n", stoppingToken);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            File.Delete(file);
        }
    }
}
