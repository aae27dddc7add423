using FaceOrleans.Api.Hosting;
using FaceOrleans.Api.Problems;
using FaceOrleans.Api.Quotas;
using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Api.Endpoints;

/// <summary>A rate quota as JSON: <c>requests</c> per <c>per_seconds</c>, bursts of <c>burst</c> (default: requests).</summary>
public sealed record RateQuotaJson(int? Requests, double? PerSeconds, int? Burst)
{
    public static RateQuotaJson? From(RateQuota? quota) => quota is null ? null : new(quota.Requests, quota.PerSeconds, quota.BurstSize);

    public RateQuota ToQuota() => new(
        Requests ?? throw FormFields.MissingField("requests", "The JSON body has no 'requests'."),
        PerSeconds ?? throw FormFields.MissingField("per_seconds", "The JSON body has no 'per_seconds'."),
        Burst);
}

/// <summary>
/// A tenant's limits on this API instance: its rate quota (null: none) and its concurrency limit, and how long another
/// API instance may take to apply a change of the rate quota.
/// </summary>
public sealed record TenantQuotaResponse(string Tenant, RateQuotaJson? RateLimit, int MaxConcurrentRequests, double RefreshSeconds)
{
    public static TenantQuotaResponse From(string tenant, RateQuota? quota, ApiOptions options) =>
        new(tenant, RateQuotaJson.From(quota), options.MaxConcurrentRequestsFor(tenant), options.QuotaRefreshInterval.TotalSeconds);
}

internal static class QuotaEndpoints
{
    public static void MapQuotaEndpoints(this IEndpointRouteBuilder app)
    {
        var quotas = app.MapGroup("/v1/{tenant}").WithTags("Tenants");

        quotas.MapGet("/quota", async (string tenant, IClusterClient cluster, IOptions<ApiOptions> options) =>
                TypedResults.Ok(TenantQuotaResponse.From(tenant, await cluster.GetGrain<ITenantGrain>(tenant).GetRateQuota(), options.Value)))
            .WithName("GetQuota")
            .WithSummary("The tenant's rate quota and concurrency limit.")
            .RequireTenantAccess();

        quotas.MapPut("/quota", async (string tenant, RateQuotaJson? quota, IClusterClient cluster, TenantQuotaCache cache, IOptions<ApiOptions> options) =>
            {
                var stored = await cluster.GetGrain<ITenantGrain>(tenant).SetRateQuota(quota?.ToQuota() ?? throw new ApiProblemException(
                    StatusCodes.Status400BadRequest, "missing-body", "Missing body", "Send {\"requests\": 600, \"per_seconds\": 60, \"burst\": 50}."));
                cache.Set(tenant, stored);
                return TypedResults.Ok(TenantQuotaResponse.From(tenant, stored, options.Value));
            })
            .WithName("SetQuota")
            .WithSummary("Set the tenant's rate quota (token bucket: requests per per_seconds, bursts of burst); other API instances apply it within refresh_seconds (admin).")
            .RequireAdmin().Audited("tenant.quota", AuditTrail.BodyOf<RateQuotaJson>);

        quotas.MapDelete("/quota", async (string tenant, IClusterClient cluster, TenantQuotaCache cache) =>
            {
                cache.Set(tenant, await cluster.GetGrain<ITenantGrain>(tenant).SetRateQuota(null));
                return TypedResults.NoContent();
            })
            .WithName("RemoveQuota")
            .WithSummary("Remove the tenant's rate quota; its concurrency limit still applies (admin).")
            .RequireAdmin().Audited("tenant.quota");
    }
}
