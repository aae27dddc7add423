namespace FaceOrleans.Grains;

/// <summary>
/// Where each tenant is served now, as placement decides it (<see cref="ISliceCatalogGrain.GetTenantRoutes"/>):
/// the tenants pinned to a slice, by tenant; where a tenant pinned nowhere goes (the default slice), if anywhere;
/// and the silos of every live slice. An API instance uses it to tell which calls a silo's death cuts off.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.TenantRoutes")]
public sealed record TenantRoutes(
    [property: Id(0)] IReadOnlyDictionary<string, SliceLocation> ByTenant,
    [property: Id(1)] SliceLocation? OtherTenants,
    [property: Id(2)] IReadOnlyList<string> LiveSilos,
    [property: Id(3)] int RetryAfterSeconds)
{
    public SliceLocation? Of(string tenant) => ByTenant.TryGetValue(tenant, out var location) ? location : OtherTenants;
}
