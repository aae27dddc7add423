using System.Collections.Concurrent;
using FaceOrleans.Api.Hosting;
using FaceOrleans.Contracts;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Api.Quotas;

/// <summary>
/// This API instance's copy of each tenant's rate quota, so a request costs a dictionary lookup, not a grain call.
/// A copy older than <see cref="ApiOptions.QuotaRefreshInterval"/> is still used while one refresh per tenant runs in
/// the background, so every instance applies a change within about that interval, and the instance that made the
/// change applies it at once (<see cref="Set"/>).
/// </summary>
public sealed partial class TenantQuotaCache(
    IClusterClient cluster, IOptions<ApiOptions> options, TimeProvider time, ILogger<TenantQuotaCache> logger)
{
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    /// <summary>The tenant's quota (null: none). Waits for the cluster only the first time this instance sees the tenant.</summary>
    public async ValueTask<RateQuota?> GetAsync(string tenant, CancellationToken cancellationToken)
    {
        var slot = _slots.GetOrAdd(tenant, static _ => new Slot());
        var known = slot.Known;
        if (known is not null && time.GetUtcNow() - known.LoadedAt <= options.Value.QuotaRefreshInterval)
        {
            return known.Quota;
        }

        var refresh = slot.Refresh(() => LoadAsync(tenant, slot));
        return known is not null ? known.Quota : (await refresh.WaitAsync(cancellationToken)).Quota;
    }

    /// <summary>Records a quota this instance has just stored, so it applies here from the next request.</summary>
    public void Set(string tenant, RateQuota? quota) => _slots.GetOrAdd(tenant, static _ => new Slot()).Offer(new Known(quota, time.GetUtcNow()));

    private async Task<Known> LoadAsync(string tenant, Slot slot)
    {
        // Stamped with the time the question was asked: a change recorded meanwhile (Set) is newer and wins.
        var asked = time.GetUtcNow();
        try
        {
            return slot.Offer(new Known(await cluster.GetGrain<ITenantGrain>(tenant).GetRateQuota(), asked));
        }
        catch (Exception ex) when (slot.Known is { } previous)
        {
            // Keep enforcing what was known; ask again after another interval rather than on every request.
            LogRefreshFailed(logger, ex, tenant);
            return slot.Offer(previous with { LoadedAt = asked });
        }
    }

    private sealed record Known(RateQuota? Quota, DateTimeOffset LoadedAt);

    private sealed class Slot
    {
        private readonly Lock _gate = new();
        private Task<Known>? _loading;

        public Known? Known { get; private set; }

        /// <summary>The refresh under way, or a new one: at most one grain call per tenant at a time.</summary>
        public Task<Known> Refresh(Func<Task<Known>> load)
        {
            lock (_gate)
            {
                if (_loading is null || _loading.IsCompleted)
                {
                    _loading = load();
                }

                return _loading;
            }
        }

        /// <summary>Keeps <paramref name="candidate"/> unless what is known is newer; returns what is known afterwards.</summary>
        public Known Offer(Known candidate)
        {
            lock (_gate)
            {
                if (Known is null || Known.LoadedAt <= candidate.LoadedAt)
                {
                    Known = candidate;
                }

                return Known;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the rate quota of tenant {Tenant} failed; the last one known still applies")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string tenant);
}
