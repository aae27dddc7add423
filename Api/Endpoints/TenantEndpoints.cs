using FaceOrleans.Api.Problems;
using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using FaceOrleans.Vision;
using Microsoft.AspNetCore.Http.HttpResults;

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

        tenants.MapPut("/{tenant}/config", async (string tenant, TenantSettings? config, IClusterClient cluster) =>
            {
                if (config is null)
                {
                    throw new ApiProblemException(StatusCodes.Status400BadRequest, "missing-body", "Missing body",
                        "Send the tenant's configuration as a JSON object.");
                }

                return TypedResults.Ok(TenantResponse.From(await cluster.GetGrain<ITenantGrain>(tenant).Configure(config)));
            })
            .WithName("ConfigureTenant")
            .WithSummary("Replace the tenant's thresholds and limits at run time (tenant-admin or admin key).")
            .RequireTenantAccess(adminOnly: true).Audited("tenant.configure", AuditTrail.BodyOf<TenantSettings>);

        tenants.MapDelete("/{tenant}", DeleteTenant)
            .WithName("DeleteTenant")
            .WithSummary("Erase the tenant: its gallery (subjects, faces, photos, shard caches), settings, quota, counters and keys, leaving no copy on disk (admin key, ?confirm={tenant}).")
            .Produces(StatusCodes.Status204NoContent)
            .RequireAuthorization(policy => policy.RequireRole(nameof(ApiKeyRole.Admin)));
    }

    /// <summary>
    /// The gallery first (the biometric data), then the keys, then the record: a failure part way leaves the tenant
    /// deletable again, and the same call finishes it. A tenant that configuration still pins (or, with unknown
    /// tenants allowed, any tenant) answers again afterwards, empty and with the default settings.
    /// </summary>
    private static async Task<NoContent> DeleteTenant(
        string tenant, string? confirm, HttpContext http, IClusterClient cluster, ApiKeyCache keys, CancellationToken cancellationToken)
    {
        if (!string.Equals(confirm, tenant, StringComparison.Ordinal))
        {
            throw new RequestRejectedException(RejectionCode.InvalidParameter, "confirm",
                $"deleting a tenant erases all its data: send ?confirm={tenant} to confirm");
        }

        await cluster.GetGrain<IGalleryGrain>(tenant).DeleteGallery();
        await cluster.GetGrain<IApiKeysGrain>(ApiKeyCache.GrainKey).RevokeTenant(tenant);
        await keys.RefreshAsync(cancellationToken);
        await cluster.GetGrain<ITenantGrain>(tenant).Forget();

        // Last: the trail goes with the tenant (its subject ids are personal data too), all but the deletion itself,
        // which stays as its one entry, chained to the erased trail's head (docs/data-protection.md, "The audit trail").
        await cluster.GetGrain<IAuditGrain>(tenant).EraseForDeletion(
            AuditTrail.Record(http, "tenant.delete", StatusCodes.Status204NoContent, [], "gallery, settings, quota, counters, keys and audit trail erased"));
        return TypedResults.NoContent();
    }
}
