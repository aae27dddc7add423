using System.Collections.Concurrent;
using FaceOrleans.Grains;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FaceOrleans.Api.Observability;

/// <summary>
/// Ready means: the cluster answers, and every slice this API has ever seen runs a real (tiny) detection.
/// A slice that has gone away makes the API not ready, because some of its tenants cannot be served.
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

        if (_seenSlices.IsEmpty)
        {
            return HealthCheckResult.Unhealthy("no slice is live", data: data);
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy($"{_seenSlices.Count} slice(s) ready", data)
            : HealthCheckResult.Unhealthy($"slice(s) down: {string.Join(", ", problems)}", data: data);
    }
}
