using FaceOrleans.Api.Problems;
using FaceOrleans.Api.Security;
using FaceOrleans.Grains;

namespace FaceOrleans.Api.Endpoints;

internal static class TenantEndpoints
{
    public static void MapTenantEndpoints(this IEndpointRouteBuilder app)
    {
        var tenants = app.MapGroup("/v1").WithTags("Tenants");

        tenants.MapGet("/{tenant}", async (string tenant, IClusterClient cluster) =>
                TypedResults.Ok(TenantResponse.From(await cluster.GetGrain<ITenantGrain>(tenant).GetState())))
            .WithName("GetTenant")
            .WithSummary("The tenant's configuration, counters, slice and silo, and last activity.")
            .RequireTenantAccess();

        tenants.MapPut("/{tenant}/config", async (string tenant, TenantConfigJson? config, IClusterClient cluster) =>
            {
                if (config is null)
                {
                    throw new ApiProblemException(StatusCodes.Status400BadRequest, "missing-body", "Missing body",
                        "Send the tenant's configuration as a JSON object.");
                }

                return TypedResults.Ok(TenantResponse.From(await cluster.GetGrain<ITenantGrain>(tenant).Configure(config.ToSettings())));
            })
            .WithName("ConfigureTenant")
            .WithSummary("Replace the tenant's thresholds and limits at run time (tenant-admin or admin key).")
            .RequireTenantAccess(adminOnly: true);
    }
}
