using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using Prometheus;

namespace FaceOrleans.Api.Observability;

/// <summary>Prometheus metrics per tenant (requests, latency, faces) and per slice (queue, inference), for <c>GET /metrics</c>.</summary>
public sealed class ApiMetrics
{
    private static readonly Counter Requests = Metrics.CreateCounter(
        "faceorleans_http_requests_total", "HTTP requests by tenant, route and status.", "tenant", "route", "status");

    private static readonly Histogram Latency = Metrics.CreateHistogram(
        "faceorleans_http_request_duration_seconds", "HTTP request latency by tenant and route.",
        new HistogramConfiguration
        {
            LabelNames = ["tenant", "route"],
            Buckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        });

    private static readonly Counter QuotaRejections = Metrics.CreateCounter(
        "faceorleans_quota_rejections_total", "Requests refused with 429, by tenant and by the limit they hit: rate or concurrency.", "tenant", "limit");

    private static readonly Counter Faces = Metrics.CreateCounter("faceorleans_faces_detected_total", "Faces detected by tenant.", "tenant");

    private static readonly Gauge QueueDepth = Metrics.CreateGauge("faceorleans_slice_queue_depth", "Images or faces waiting for the slice's models.", "slice");
    private static readonly Gauge Running = Metrics.CreateGauge("faceorleans_slice_running", "Model calls running on the slice.", "slice");
    private static readonly Gauge ModelCalls = Metrics.CreateGauge("faceorleans_slice_model_calls", "Model calls the slice has run (each may hold several requests' inputs).", "slice");
    private static readonly Gauge SliceRequests = Metrics.CreateGauge("faceorleans_slice_requests", "Detection or embedding requests that left the slice's queue, by how they ended.", "slice", "outcome");
    private static readonly Gauge InferenceMs = Metrics.CreateGauge("faceorleans_slice_inference_mean_milliseconds", "Mean duration of one model call on the slice.", "slice");
    private static readonly Gauge ModelCallMs = Metrics.CreateGauge("faceorleans_slice_model_call_milliseconds", "Duration of one model call on the slice, by quantile.", "slice", "quantile");
    private static readonly Gauge WaitMs = Metrics.CreateGauge("faceorleans_slice_wait_milliseconds", "Time an image or face waited for its model call, by quantile.", "slice", "quantile");
    private static readonly Gauge Cancelled = Metrics.CreateGauge("faceorleans_slice_cancelled_calls", "Requests dropped before running because their caller had gone.", "slice");
    private static readonly Gauge BatchSize = Metrics.CreateGauge("faceorleans_slice_mean_batch_size", "Mean images or faces per model call on the slice.", "slice");
    private static readonly Gauge BatchSizes = Metrics.CreateGauge("faceorleans_slice_batches", "Model calls the slice has run, by how many images or faces each held.", "slice", "size");

    /// <summary>Most distinct tenants that get a label value of their own; later ones share <see cref="OtherTenants"/>.</summary>
    public const int MaxTenantLabels = 1000;

    public const string OtherTenants = "(other)";

    // Tenants labelled so far. Only a tenant the cluster served gets here (an unknown one is refused, 404, before its
    // request is recorded), and even with open tenants (any name an admin sends is served) the series stay bounded.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> Labelled = new(StringComparer.Ordinal);

    public void FacesDetected(string tenant, int count) => Faces.WithLabels(TenantLabel(tenant)).Inc(count);

    public static void QuotaRejected(string tenant, string limit) => QuotaRejections.WithLabels(TenantLabel(tenant), limit).Inc();

    /// <summary>The tenant's own name while fewer than <see cref="MaxTenantLabels"/> tenants have one, else <see cref="OtherTenants"/>.</summary>
    public static string TenantLabel(string tenant) =>
        Labelled.ContainsKey(tenant) || (Labelled.Count < MaxTenantLabels && Labelled.TryAdd(tenant, 0)) ? tenant : OtherTenants;

    public static void Request(string tenant, string route, int status, TimeSpan elapsed)
    {
        Requests.WithLabels(tenant, route, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        Latency.WithLabels(tenant, route).Observe(elapsed.TotalSeconds);
    }

    /// <summary>
    /// The .NET meters that prometheus-net republishes on <c>/metrics</c>, all but Kestrel's memory pool: that meter
    /// records a measurement for every 4 KB block a request body passes through (some 170 for a compare's two photos),
    /// and republishing them cost 0.3 % of the service's CPU at c=4 for counters no dashboard reads (issue 22).
    /// </summary>
    public static void PublishMeters() =>
        Metrics.ConfigureMeterAdapter(options => options.InstrumentFilterPredicate = instrument => instrument.Meter.Name != KestrelMemoryPoolMeter);

    private const string KestrelMemoryPoolMeter = "Microsoft.AspNetCore.MemoryPool";

    /// <summary>Refreshes the slice gauges from the cluster just before each scrape.</summary>
    public static void CollectSlicesOnScrape(IClusterClient cluster) =>
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async cancellationToken =>
        {
            try
            {
                foreach (var slice in await cluster.GetGrain<ISliceCatalogGrain>(0).GetSlices().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken))
                {
                    Publish(slice.SliceId, await cluster.GetGrain<IInferenceGrain>(slice.SliceId).GetStats());
                }
            }
            catch (Exception ex) when (ex is TimeoutException or SliceUnavailableException or OrleansException)
            {
                // A scrape must still answer with the request metrics while the cluster is unreachable.
            }
        });

    private static void Publish(string slice, InferenceStats stats)
    {
        QueueDepth.WithLabels(slice).Set(stats.Queued);
        Running.WithLabels(slice).Set(stats.Running);
        ModelCalls.WithLabels(slice).Set(stats.Batches);
        SliceRequests.WithLabels(slice, "completed").Set(stats.Completed);
        SliceRequests.WithLabels(slice, "failed").Set(stats.Failed);
        SliceRequests.WithLabels(slice, "cancelled").Set(stats.Cancelled);
        SliceRequests.WithLabels(slice, "refused").Set(stats.Refused);
        InferenceMs.WithLabels(slice).Set(stats.MeanRunMilliseconds);
        BatchSize.WithLabels(slice).Set(stats.MeanBatchSize);
        Cancelled.WithLabels(slice).Set(stats.Cancelled);
        foreach (var (quantile, call, wait) in new[]
                 {
                     ("0.5", stats.ModelCall.P50Milliseconds, stats.Wait.P50Milliseconds),
                     ("0.95", stats.ModelCall.P95Milliseconds, stats.Wait.P95Milliseconds),
                     ("0.99", stats.ModelCall.P99Milliseconds, stats.Wait.P99Milliseconds),
                 })
        {
            ModelCallMs.WithLabels(slice, quantile).Set(call);
            WaitMs.WithLabels(slice, quantile).Set(wait);
        }

        for (var size = 1; size <= stats.BatchSizes.Count; size++)
        {
            BatchSizes.WithLabels(slice, size.ToString(System.Globalization.CultureInfo.InvariantCulture)).Set(stats.BatchSizes[size - 1]);
        }
    }

    /// <summary>Records every routed request once, with the status the client finally saw.</summary>
    public static async Task RecordAsync(HttpContext context, Func<Task> next)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await next();
        }
        finally
        {
            if (context.GetEndpoint() is RouteEndpoint endpoint && !context.Request.Path.StartsWithSegments("/metrics"))
            {
                // Only an authorised caller's route may name a label value, or anyone could mint unbounded series.
                var tenant = context.User.Identity?.IsAuthenticated != true
                    ? "unauthenticated"
                    : context.Response.StatusCode == StatusCodes.Status403Forbidden
                        ? context.User.KeyTenant() ?? "admin"
                        : TenantLabel(context.GetRouteValue("tenant") as string ?? context.User.KeyTenant() ?? "admin");
                Request(tenant, endpoint.RoutePattern.RawText ?? "?", context.Response.StatusCode, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            }
        }
    }
}
