namespace FaceOrleans.Api.Hosting;

/// <summary>
/// Signals each time the client may have lost calls in flight with a silo: one of its own gateway connections closed
/// (<see cref="GatewayCountChangedHandler"/>), or cluster membership no longer lists a silo (<see cref="SiloDeathWatcher"/>).
/// The second matters because a call reaches its grain through whichever gateway its grain id picks: when the grain's
/// silo dies behind another, live gateway, the client's connections all stay up, the gateway does not fail the call
/// it forwarded, and the call would otherwise wait out the whole response timeout.
/// </summary>
internal sealed class SiloLosses : IDisposable
{
    private CancellationTokenSource _next = new();

    /// <summary>Cancelled at the next loss.</summary>
    public CancellationToken Next => Volatile.Read(ref _next).Token;

    public void OnGatewayCountChanged(object? sender, GatewayCountChangedEventArgs e)
    {
        if (e.NumberOfConnectedGateways < e.PreviousNumberOfConnectedGateways)
        {
            Signal();
        }
    }

    /// <summary>A silo has left the cluster (declared dead, or shut down): calls waiting on it will not be answered.</summary>
    public void OnSiloLeft() => Signal();

    // Not disposed: calls in flight still hold its token; it holds no unmanaged resource once cancelled.
    private void Signal() => Interlocked.Exchange(ref _next, new CancellationTokenSource()).Cancel();

    public void Dispose() => _next.Dispose();
}
