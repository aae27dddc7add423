using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.ExceptionServices;
using FaceOrleans.Contracts;

namespace FaceOrleans.Api.Hosting;

/// <summary>
/// Keeps the loss of one silo from failing calls for tenants that silo does not serve, and from leaving its own
/// tenants' calls to wait out the response timeout. Orleans sends a client's calls to a grain through one gateway
/// chosen by the grain's id, not by where the grain lives, so a tenant's calls may pass through another tenant's silo.
/// When a silo dies, two kinds of call go wrong, and both are sent again:
/// <list type="bullet">
/// <item>a call Orleans proves never reached its grain (<see cref="CallDelivery"/>): the gateway was already gone;</item>
/// <item>an <see cref="IdempotentAttribute">idempotent</see> call refused because a silo on its way had just died
/// (<see cref="SiloUnavailableException"/>, or <see cref="SliceUnavailableException.InnerCallNotDelivered"/>): it may
/// have run in part, which is harmless, and passes once the cluster has declared that silo dead;</item>
/// <item>an <see cref="IdempotentAttribute">idempotent</see> call in flight when a silo was lost (<see cref="SiloLosses"/>:
/// a gateway connection closed, or membership dropped a silo): it, or its answer, may be lost with that silo and would
/// otherwise wait out the response timeout. It is cancelled and sent again at once; if it did get through the first
/// time, running it twice is harmless. Sent again after the silo was declared dead, a call for that silo's own tenant
/// is refused by placement with the typed slice-unavailable error, which is not resent.</item>
/// </list>
/// Any other failure is the caller's. Resending stops <see cref="Budget"/> after the first failure, so a cluster with no
/// live gateway still fails fast.
/// </summary>
internal sealed partial class ClientCallResender(SiloLosses siloLosses, ILogger<ClientCallResender> logger) : IOutgoingGrainCallFilter
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
            var siloLost = siloLosses.Next;
            using var linked = tokenIndex >= 0 ? CancellationTokenSource.CreateLinkedTokenSource(callerToken, siloLost) : null;
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

            // Cancelled by us, or failed by Orleans as the connection went: either way the lost silo took the call with it.
            var lostWithSilo = tokenIndex >= 0 && siloLost.IsCancellationRequested && !callerToken.IsCancellationRequested
                && failure is OperationCanceledException or SiloUnavailableException or OrleansMessageRejectionException;
            // Refused on the way because a silo it needed (a gateway, a directory partition, a grain it calls) just
            // died: proof of nothing, but an idempotent call may be sent again whatever became of it. A slice with no
            // live silo at all is refused by placement with a plain SliceUnavailableException, which is not resent.
            var refusedOnTheWay = tokenIndex >= 0 && !callerToken.IsCancellationRequested
                && failure is SiloUnavailableException or SliceUnavailableException { InnerCallNotDelivered: true };
            firstFailure ??= Stopwatch.GetTimestamp();
            if (!(lostWithSilo || refusedOnTheWay || CallDelivery.ProvesNotDelivered(failure)) || Stopwatch.GetElapsedTime(firstFailure.Value) > Budget)
            {
                if (!carriedInResponse)
                {
                    ExceptionDispatchInfo.Throw(failure);
                }

                return;
            }

            LogResending(logger, context.TargetId, lostWithSilo ? "a silo was lost while it was in flight" : refusedOnTheWay ? "a silo it needed was unavailable" : "it was not delivered", failure);
            if (!lostWithSilo)
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
