using FaceOrleans.Contracts;

namespace FaceOrleans.Tests.Cluster;

/// <summary>Where the cluster holds a tenant's grains right now, as Orleans' management grain reports every activation.</summary>
internal static class TenantActivations
{
    private static readonly string[] TenantScopedTypes = ["tenant", "gallery", "galleryshard"];

    /// <summary>
    /// Every activation of the tenant's tenant grain, gallery grain and gallery shards, with its silo; a grain that is
    /// moving may show twice for a moment.
    /// </summary>
    public static async Task<IReadOnlyList<(GrainId Grain, SiloAddress Silo)>> OfAsync(IClusterClient client, string tenant) =>
        (await client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics())
            .Where(s => TenantScopedTypes.Contains(s.GrainId.Type.ToString()) && TenantKeys.TenantOf(s.GrainId) == tenant)
            .Select(s => (s.GrainId, s.SiloAddress))
            .ToArray();
}
