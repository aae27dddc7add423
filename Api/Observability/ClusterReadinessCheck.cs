using System.Collections.Concurrent;
using FaceOrleans.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FaceOrleans.Api.Observability;

/// <summary>
/// Ready means: at least one slice this API has seen runs a real (tiny) detection, so the API can serve someone.
/// Every slice's state is reported; a slice that has gone away makes the result degraded, never unhealthy, because
/// its tenants get 503 from their own slice either way and an orchestrator that restarted this API for it would cut
/// off every other tenant (<c>/health/slices</c> is the check that fails on any slice). The slice catalog, which
/// names new slices, is asked at the same time as the known slices are probed: it lives on one silo, and while that
/// silo's death is not yet noticed it does not answer, which alone must not fail readiness either.
/// </summary>
public sealed class ClusterReadinessCheck(IClusterClient cluster) : IHealthCheck
{
    private static readonly TimeSpan CatalogTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, bool> _seenSlices = new(StringComparer.Ordinal);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var probes = _seenSlices.Keys.ToDictionary(id => id, id => ProbeAsync(id, cancellationToken), StringComparer.Ordinal);
        Exception? catalogFailure = null;
        try
        {
            foreach (var slice in await cluster.GetGrain<ISliceCatalogGrain>(0).GetSlices().WaitAsync(CatalogTimeout, cancellationToken))
            {
                _seenSlices[slice.SliceId] = true;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            catalogFailure = ex;
        }

        foreach (var sliceId in _seenSlices.Keys.Where(id => !probes.ContainsKey(id)))
        {
            probes[sliceId] = ProbeAsync(sliceId, cancellationToken);
        }

        await Task.WhenAll(probes.Values);
        var data = new Dictionary<string, object>();
        var problems = new List<string>();
        foreach (var (sliceId, probe) in probes.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var (ok, state) = probe.Result;
            data[sliceId] = state;
            if (!ok)
            {
                problems.Add(sliceId);
            }
        }

        if (problems.Count == probes.Count)
        {
            return catalogFailure is not null
                ? HealthCheckResult.Unhealthy("the cluster cannot be reached", catalogFailure, data)
                : HealthCheckResult.Unhealthy(probes.Count == 0 ? "no slice is live" : "every slice is down", data: data);
        }

        var down = problems.Count == 0 ? [] : new List<string> { $"slice(s) down: {string.Join(", ", problems)}" };
        if (catalogFailure is not null)
        {
            data["catalog"] = catalogFailure.Message;
            down.Add("the slice catalog did not answer");
        }

        return down.Count == 0
            ? HealthCheckResult.Healthy($"{probes.Count} slice(s) ready", data)
            : HealthCheckResult.Degraded(string.Join("; ", down), data: data);
    }

    /// <summary>A tiny detection on the slice: whether it answered, and what to report for it.</summary>
    private async Task<(bool Ok, string State)> ProbeAsync(string sliceId, CancellationToken cancellationToken)
    {
        try
        {
            var result = await cluster.GetGrain<IInferenceGrain>(sliceId).Probe(cancellationToken).WaitAsync(ProbeTimeout, cancellationToken);
            return (true, $"ok ({result.ElapsedMilliseconds:0} ms)");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (false, ex.Message);
        }
    }
}
