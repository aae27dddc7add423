using FaceOrleans.Grains.Placement;
using FaceOrleans.Grains.Slices;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Grains.Hosting;

/// <summary>
/// Keeps a rejection of a grain's own call from passing as a rejection of the call the grain was serving. An API
/// resends a call that Orleans rejected (<see cref="CallDelivery"/>): it never ran. If a grain let the rejection of
/// a call it made escape as is, its caller would resend a call that did run, partly. Such a failure leaves the
/// grain as <see cref="SliceUnavailableException"/> instead: a retryable 503, marked
/// <see cref="SliceUnavailableException.InnerCallNotDelivered"/> so that the API may resend it when the call is
/// idempotent (running it again is harmless), and never resent otherwise.
/// </summary>
internal sealed class RejectedCallBoundaryFilter(TenantScopedGrains tenantScoped, LocalSlice localSlice, IOptionsMonitor<TenantPlacementOptions> placement)
    : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception ex) when (CallDelivery.ProvesNotDelivered(ex))
        {
            throw new SliceUnavailableException(tenantScoped.TenantOf(context.TargetId), localSlice.Id, placement.CurrentValue.RetryAfterSeconds,
                $"A call made inside slice '{localSlice.Id}' for {context.TargetId} could not be delivered ({ex.Message}); retry in {placement.CurrentValue.RetryAfterSeconds} s.")
            {
                InnerCallNotDelivered = true,
            };
        }
    }
}
