using FaceOrleans.Api.Problems;
using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;

namespace FaceOrleans.Api.Endpoints;

internal static class AdminEndpoints
{
    public static void MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/cluster", async (IClusterClient cluster) =>
            {
                var slices = await cluster.GetGrain<ISliceCatalogGrain>(0).GetSlices();
                var stats = await Task.WhenAll(slices.Select(async s =>
                {
                    try
                    {
                        return new SliceJson(s.SliceId, s.Silo, s.Device, s.Tenants, s.StandbyFor, await cluster.GetGrain<IInferenceGrain>(s.SliceId).GetStats(), null);
                    }
                    catch (SliceUnavailableException ex)
                    {
                        return new SliceJson(s.SliceId, s.Silo, s.Device, s.Tenants, s.StandbyFor, null, ex.Message);
                    }
                }));
                return TypedResults.Ok(new ClusterResponse(slices.Select(s => s.Silo).Distinct().Count(), stats));
            })
            .WithTags("Cluster")
            .WithName("GetCluster")
            .WithSummary("Silos, their slices, pinned and standby tenants, and each slice's queue and inference statistics (admin).")
            .RequireAdmin();

        var keys = app.MapGroup("/v1/keys").WithTags("Keys").RequireAuthorization(policy => policy.RequireRole(nameof(ApiKeyRole.Admin)));

        keys.MapGet("/", async (IClusterClient cluster) =>
                TypedResults.Ok((await cluster.GetGrain<IApiKeysGrain>(ApiKeyCache.GrainKey).Snapshot()).Keys
                    .Select(k => new ApiKeyJson(k.Id, k.Tenant, k.Role, k.CreatedUtc, k.Description))))
            .WithName("ListKeys")
            .WithSummary("Every API key's id, tenant and role; never the keys themselves (admin).");

        keys.MapPost("/", async (IssueKeyRequest? request, HttpContext http, IClusterClient cluster, ApiKeyCache cache, CancellationToken cancellationToken) =>
            {
                if (request is null)
                {
                    throw new ApiProblemException(StatusCodes.Status400BadRequest, "missing-body", "Missing body",
                        "Send {\"tenant\": \"…\", \"role\": \"Tenant|TenantAdmin|Admin\"}.");
                }

                var issued = await cluster.GetGrain<IApiKeysGrain>(ApiKeyCache.GrainKey).Issue(request.Tenant, request.Role, request.Description);
                await cache.RefreshAsync(cancellationToken);
                if (issued.Tenant is { } tenant)
                {
                    await AuditTrail.AppendKeyChangeAsync(http, tenant, "key.issue", StatusCodes.Status201Created, $"key {issued.Id}, role {issued.Role}");
                }

                return TypedResults.Created($"/v1/keys/{issued.Id}", issued);
            })
            .WithName("IssueKey")
            .WithSummary("Issue a key; the response is the only time the key itself is shown (admin).");

        keys.MapDelete("/{id}", async (string id, HttpContext http, IClusterClient cluster, ApiKeyCache cache, CancellationToken cancellationToken) =>
            {
                var grain = cluster.GetGrain<IApiKeysGrain>(ApiKeyCache.GrainKey);
                var tenant = (await grain.Snapshot()).Keys.FirstOrDefault(k => k.Id == id)?.Tenant;
                if (!await grain.Revoke(id))
                {
                    return ApiProblems.Result(StatusCodes.Status404NotFound, "unknown-key", "Unknown key", $"No API key has the id '{id}'.");
                }

                await cache.RefreshAsync(cancellationToken);
                if (tenant is not null)
                {
                    await AuditTrail.AppendKeyChangeAsync(http, tenant, "key.revoke", StatusCodes.Status204NoContent, $"key {id}");
                }

                return TypedResults.NoContent();
            })
            .WithName("RevokeKey")
            .Produces(StatusCodes.Status204NoContent)
            .WithSummary("Revoke a key; every API instance stops accepting it within the key cache duration (admin).");
    }
}
