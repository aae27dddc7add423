using Orleans.Messaging;

namespace FaceOrleans.Api.Hosting;

/// <summary>
/// Reads cluster membership every <see cref="FaceOrleans.Contracts.Hosting.FailureDetectionOptions.MembershipPoll"/> and
/// signals <see cref="SiloLosses"/> when a silo it listed before is no longer listed, so that
/// <see cref="ClientCallResender"/> cancels and resends the idempotent calls in flight.
/// <para>
/// Why: an Orleans client hears of a silo's death only through its own gateway connections. A call to a grain goes
/// through the gateway its grain id picks, often another silo than the grain's; when the grain's silo is killed, that
/// gateway neither answers nor fails the call it forwarded, and the client, whose connections all stay up, would wait
/// out the whole response timeout (15 s) and answer 504. Resent once membership has declared the silo dead, a call for
/// a live silo's tenant is served there, and one for the dead silo's tenant reaches placement, which refuses it at
/// once with the typed slice-unavailable error (503).
/// </para>
/// <para>
/// The gateway list provider is what the client itself reads membership through (the Redis membership table in
/// cluster mode): it lists the active silos by address and generation, so a silo declared dead or shutting down drops
/// out of it, and one that restarts comes back under a new generation (a join is not a loss). With a static list
/// (localhost clustering) nothing ever drops out and this does nothing.
/// </para>
/// </summary>
internal sealed partial class SiloDeathWatcher(
    IGatewayListProvider gateways, SiloLosses losses, TimeSpan interval, IHostApplicationLifetime lifetime, ILogger<SiloDeathWatcher> logger) : BackgroundService
{
    private HashSet<Uri>? _listed;
    private bool _failing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // After start-up: the Orleans client has then initialised the provider, which is not safe to initialise twice at once.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(started.SetResult))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        using var timer = new PeriodicTimer(interval);
        do
        {
            await PollAsync();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Reads membership once; true when a silo listed at the last read is gone (and the loss was signalled).</summary>
    internal async Task<bool> PollAsync()
    {
        IList<Uri> now;
        try
        {
            now = await gateways.GetGateways();
        }
        catch (Exception ex)
        {
            // Membership unreachable: nothing is known to have died; the response timeout remains the backstop.
            if (!_failing)
            {
                LogReadFailed(logger, ex);
            }

            _failing = true;
            return false;
        }

        _failing = false;
        var listed = now.ToHashSet();
        var gone = _listed?.Where(silo => !listed.Contains(silo)).ToArray() ?? [];
        _listed = listed;
        if (gone.Length == 0)
        {
            return false;
        }

        LogSiloLeft(logger, gone);
        losses.OnSiloLeft();
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Membership no longer lists {Silos}: resending the calls in flight")]
    private static partial void LogSiloLeft(ILogger logger, Uri[] silos);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading cluster membership failed; a silo that dies meanwhile is noticed only by the response timeout")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}
