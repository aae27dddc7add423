using FaceOrleans.Grains.Slices;
using Microsoft.Extensions.Logging;

namespace FaceOrleans.Grains.Placement;

/// <summary>
/// Brings tenant-scoped grains home. A grain activated on a standby slice while its tenant's slice was down
/// migrates after a call once that slice is live again: Orleans places it anew (on the tenant's own silo), points
/// the directory there and forwards the calls that were waiting; the tenant grain's unsaved counters travel with
/// it. The standby silo then holds nothing of the tenant's, so losing it no longer touches the tenant.
/// A call on the tenant's own silo costs one set lookup.
/// </summary>
internal sealed partial class TenantHomecomingFilter(
    TenantScopedGrains tenantScoped, LocalSlice localSlice, SliceDirectory directory, ILocalSiloDetails silo, ILogger<TenantHomecomingFilter> logger)
    : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        finally
        {
            if (tenantScoped.TenantOf(context.TargetId) is { } tenant && !localSlice.IsPinned(tenant) && directory.IsAwayFromHome(tenant, silo.SiloAddress))
            {
                LogLeaving(logger, context.TargetId, localSlice.Id);
                context.TargetContext.Migrate(requestContext: null);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Grain} leaves standby slice {Slice}: its tenant's own slice is live again")]
    private static partial void LogLeaving(ILogger logger, GrainId grain, string slice);
}
