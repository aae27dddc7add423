using FaceOrleans.Contracts;

namespace FaceOrleans.Tests.Cluster;

/// <summary>Where a tenant runs, read from its state as clients read it (this also places the tenant).</summary>
internal static class TenantLocation
{
    public static async Task<SliceLocation> Locate(this ITenantGrain tenant) => (await tenant.GetState()).Location;
}
