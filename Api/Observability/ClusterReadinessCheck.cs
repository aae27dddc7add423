using System.Collections.Concurrent;
using FaceOrleans.Grains;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FaceOrleans.Api.Observability;

/// <summary>
/// Ready means: the cluster answers and at least one slice this API has seen runs a real (tiny) detection, so the API
/// can serve someone. Every slice's state is reported; a slice that has gone away makes the result degraded, never
/// unhealthy, because its tenants get 503 from their own slice either way and an orchestrator that restarted this API
/// for it would cut off every other tenant (<c>/health/slices</c> is the check that fails on any slice).
/// </summary>
public sealed class ClusterReadinessCheck(IClusterClient cluster) : IHealthCheck
{
    private readonly ConcurrentDictionary<string, bool> _seenSlices = new(StringComparer.Ordinal);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<SliceInfo> live;
        try
        {
            live = await cluster.GetGrain<ISliceCatalogGrain>(0).GetSlices().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("the cluster cannot be reached", ex);
        }

        foreach (var slice in live)
        {
            _seenSlices[slice.SliceId] = true;
        }

        var data = new Dictionary<string, object>();
        var problems = new List<string>();
        foreach (var sliceId in _seenSlices.Keys.Order(StringComparer.Ordinal))
        {
            try
            {
                var result = await cluster.GetGrain<IInferenceGrain>(sliceId)
                    .Probe(cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                data[sliceId] = $"ok ({result.ElapsedMilliseconds:0} ms)";
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                data[sliceId] = ex.Message;
                problems.Add(sliceId);
            }
        }

        if (problems.Count == _seenSlices.Count)
        {
            return HealthCheckResult.Unhealthy(_seenSlices.IsEmpty ? "no slice is live" : "every slice is down", data: data);
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy($"{_seenSlices.Count} slice(s) ready", data)
            : HealthCheckResult.Degraded($"slice(s) down: {string.Join(", ", problems)}", data: data);
    }
}
