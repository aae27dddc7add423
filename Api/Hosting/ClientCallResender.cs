using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.ExceptionServices;
using FaceOrleans.Grains;

namespace FaceOrleans.Api.Hosting;

/// <summary>
/// Keeps the loss of one gateway silo from failing calls for tenants that silo does not serve. Orleans sends a client's
/// calls to a grain through one gateway chosen by the grain's id, not by where the grain lives, so a tenant's calls
/// may pass through another tenant's silo. When that silo dies, two kinds of call go wrong, and both are sent again:
/// <list type="bullet">
/// <item>a call Orleans proves never reached its grain (<see cref="CallDelivery"/>): the gateway was already gone;</item>
/// <item>an <see cref="IdempotentAttribute">idempotent</see> call in flight when a gateway connection closed: it, or
/// its answer, may be lost with that gateway and would otherwise wait out the response timeout. It is cancelled and
/// sent again at once through a live gateway; if it did get through the first time, running it twice is harmless.</item>
/// </list>
/// Any other failure is the caller's. Resending stops <see cref="Budget"/> after the first failure, so a cluster with no
/// live gateway still fails fast.
/// </summary>
internal sealed partial class ClientCallResender(GatewayLosses gatewayLosses, ILogger<ClientCallResender> logger) : IOutgoingGrainCallFilter
{
    /// <summary>
    /// Longer than it takes the cluster to declare a silo dead (≈3 s, more on a starved CPU): until then a resent call
    /// may need a directory entry or a gateway on the dead silo and be refused again. After that, calls for the dead
    /// silo's own tenants fail with the typed slice-unavailable error, which is not resent.
    /// </summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(100);

    private static readonly ConcurrentDictionary<MethodInfo, int> TokenIndexOfMethod = new();

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        long? firstFailure = null;
        var tokenIndex = TokenIndexOfMethod.GetOrAdd(context.InterfaceMethod, ResendableTokenIndex);
        var callerToken = context.Request.GetCancellationToken();
        while (true)
        {
            var gatewayLost = gatewayLosses.Next;
            using var linked = tokenIndex >= 0 ? CancellationTokenSource.CreateLinkedTokenSource(callerToken, gatewayLost) : null;
            if (linked is not null)
            {
                context.Request.SetArgument(tokenIndex, linked.Token);
            }

            Exception failure;
            var carriedInResponse = false;
            try
            {
                await context.Invoke();
                // Orleans carries a failed call's exception in the response rather than throwing it here.
                if (context.Response?.Exception is not { } carried)
                {
                    return;
                }

                failure = carried;
                carriedInResponse = true;
            }
            catch (Exception thrown)
            {
                failure = thrown;
            }

            // Cancelled by us, or failed by Orleans as the connection went: either way the gateway took the call with it.
            var lostWithGateway = tokenIndex >= 0 && gatewayLost.IsCancellationRequested && !callerToken.IsCancellationRequested
                && failure is OperationCanceledException or SiloUnavailableException or OrleansMessageRejectionException;
            firstFailure ??= Stopwatch.GetTimestamp();
            if (!(lostWithGateway || CallDelivery.ProvesNotDelivered(failure)) || Stopwatch.GetElapsedTime(firstFailure.Value) > Budget)
            {
                if (!carriedInResponse)
                {
                    ExceptionDispatchInfo.Throw(failure);
                }

                return;
            }

            LogResending(logger, context.TargetId, lostWithGateway ? "a gateway closed while it was in flight" : "it was not delivered", failure);
            if (!lostWithGateway)
            {
                await Task.Delay(Pause, CancellationToken.None);
            }
        }
    }

    /// <summary>The index of the call's cancellation token when the call may be resent while in flight; -1 otherwise.</summary>
    private static int ResendableTokenIndex(MethodInfo method) =>
        method.IsDefined(typeof(IdempotentAttribute), inherit: false)
            ? Array.FindIndex(method.GetParameters(), p => p.ParameterType == typeof(CancellationToken))
            : -1;

    [LoggerMessage(Level = LogLevel.Information, Message = "Resending a call to {Grain}: {Reason}")]
    private static partial void LogResending(ILogger logger, GrainId grain, string reason, Exception exception);
}

/// <summary>Signals each time the client loses a gateway connection (<see cref="GatewayCountChangedHandler"/>).</summary>
internal sealed class GatewayLosses : IDisposable
{
    private CancellationTokenSource _next = new();

    /// <summary>Cancelled at the next loss of a gateway connection.</summary>
    public CancellationToken Next => Volatile.Read(ref _next).Token;

    public void OnGatewayCountChanged(object? sender, GatewayCountChangedEventArgs e)
    {
        if (e.NumberOfConnectedGateways < e.PreviousNumberOfConnectedGateways)
        {
            // Not disposed: calls in flight still hold its token; it holds no unmanaged resource once cancelled.
            Interlocked.Exchange(ref _next, new CancellationTokenSource()).Cancel();
        }
    }

    public void Dispose() => _next.Dispose();
}
