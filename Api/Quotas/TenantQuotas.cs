using System.Globalization;
using System.Threading.RateLimiting;
using FaceOrleans.Api.Endpoints;
using FaceOrleans.Api.Hosting;
using FaceOrleans.Api.Observability;
using FaceOrleans.Api.Problems;
using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using Microsoft.AspNetCore.RateLimiting;

namespace FaceOrleans.Api.Quotas;

/// <summary>
/// The two limits on a tenant's requests to the routes that run the models, both ASP.NET Core rate limiters on this
/// API instance: its rate quota (a token bucket, set per tenant at run time and read from <see cref="TenantQuotaCache"/>)
/// and its concurrency limit (<see cref="ApiOptions.MaxConcurrentRequests"/>). Either answers 429 with Retry-After
/// and an RFC 7807 body, counted in <c>faceorleans_quota_rejections_total</c> by tenant and limit.
/// </summary>
internal static class TenantQuotas
{
    /// <summary>The limiter's finest step: the partitioned limiter replenishes its buckets every 100 ms.</summary>
    private static readonly TimeSpan FinestStep = TimeSpan.FromMilliseconds(100);

    public static IServiceCollection AddTenantQuotas(this IServiceCollection services, ApiOptions api)
    {
        services.AddSingleton<TenantQuotaCache>();
        return services.AddRateLimiter(limiter =>
        {
            // Rate first: the middleware asks the global limiter before the route's policy.
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, TenantRate>(context =>
                context.Items[typeof(TenantRate)] is TenantRate rate
                    ? RateLimitPartition.GetTokenBucketLimiter(rate, r => Bucket(r.Quota))
                    : RateLimitPartition.GetNoLimiter(TenantRate.Unlimited));
            limiter.AddPolicy(FaceEndpoints.RateLimitPolicy, context =>
                RateLimitPartition.GetConcurrencyLimiter(context.ActingTenant() ?? "-", t => new ConcurrencyLimiterOptions
                {
                    PermitLimit = Math.Max(1, api.MaxConcurrentRequestsFor(t)),
                    QueueLimit = 0,
                }));
            limiter.OnRejected = (context, _) => new ValueTask(Reject(context.HttpContext, context.Lease, api));
        });
    }

    /// <summary>
    /// Before the rate limiter: puts the acting tenant's quota, if it has one, where the global limiter looks. Only
    /// the routes under the quota policy pay for it, and only the first time this instance sees the tenant does it
    /// wait for the cluster.
    /// </summary>
    public static IApplicationBuilder UseTenantQuotas(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == FaceEndpoints.RateLimitPolicy
            && context.ActingTenant() is { } tenant
            && await context.RequestServices.GetRequiredService<TenantQuotaCache>().GetAsync(tenant, context.RequestAborted) is { } quota)
        {
            context.Items[typeof(TenantRate)] = new TenantRate(tenant, quota);
        }

        await next(context);
    });

    /// <summary>
    /// The bucket holds <see cref="RateQuota.BurstSize"/> tokens and refills at <c>requests / per_seconds</c>, in the
    /// smallest steps the limiter allows (one token, or as many as 0.1 s brings), so a client that waits Retry-After
    /// finds a token; the quota lives in the partition key, so a changed quota starts a new bucket.
    /// </summary>
    internal static TokenBucketRateLimiterOptions Bucket(RateQuota quota)
    {
        var tokensPerStep = Math.Max(1, (int)Math.Ceiling(quota.Requests * FinestStep.TotalSeconds / quota.PerSeconds));
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = quota.BurstSize,
            TokensPerPeriod = tokensPerStep,
            ReplenishmentPeriod = TimeSpan.FromSeconds(quota.PerSeconds * tokensPerStep / quota.Requests),
            QueueLimit = 0,
        };
    }

    private static Task Reject(HttpContext http, RateLimitLease lease, ApiOptions api)
    {
        var tenant = http.ActingTenant() ?? "-";

        // Only the token bucket's refusals say when a token comes back; a concurrency refusal has no such metadata.
        if (lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && http.Items[typeof(TenantRate)] is TenantRate { Quota: var quota })
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            ApiMetrics.QuotaRejected(tenant, "rate");
            return ApiProblems.Write(http, ApiProblems.Create(StatusCodes.Status429TooManyRequests, "tenant-over-quota", "Too many requests",
                string.Create(CultureInfo.InvariantCulture,
                    $"Tenant '{tenant}' is over its rate quota of {quota.Requests} requests per {quota.PerSeconds} s (bursts of {quota.BurstSize}); retry in {seconds} s."),
                new Dictionary<string, object?> { ["limit"] = "rate", [ApiProblems.RetryAfterExtension] = seconds }));
        }

        ApiMetrics.QuotaRejected(tenant, "concurrency");
        return ApiProblems.Write(http, ApiProblems.Create(StatusCodes.Status429TooManyRequests, "tenant-over-quota", "Too many concurrent requests",
            $"Tenant '{tenant}' already has {api.MaxConcurrentRequestsFor(tenant)} requests in flight; retry in a second.",
            new Dictionary<string, object?> { ["limit"] = "concurrency", [ApiProblems.RetryAfterExtension] = 1 }));
    }

    /// <summary>A tenant's quota as the rate limiter's partition key: a new quota is a new bucket.</summary>
    private sealed record TenantRate(string Tenant, RateQuota Quota)
    {
        public static readonly TenantRate Unlimited = new(string.Empty, new RateQuota(1, 1));
    }
}
