using FaceOrleans.Api.Security;
using FaceOrleans.Grains;
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

    private static readonly Gauge QueueDepth = Metrics.CreateGauge("faceorleans_slice_queue_depth", "Model calls waiting for the slice.", "slice");
    private static readonly Gauge Running = Metrics.CreateGauge("faceorleans_slice_running", "Model calls running on the slice (0 or 1).", "slice");
    private static readonly Gauge ModelCalls = Metrics.CreateGauge("faceorleans_slice_model_calls", "Model calls the slice has completed.", "slice");
    private static readonly Gauge InferenceMs = Metrics.CreateGauge("faceorleans_slice_inference_mean_milliseconds", "Mean duration of one model call on the slice.", "slice");
    private static readonly Gauge Cancelled = Metrics.CreateGauge("faceorleans_slice_cancelled_calls", "Model calls dropped before running because their caller had gone.", "slice");
    private static readonly Gauge BatchSize = Metrics.CreateGauge("faceorleans_slice_mean_batch_size", "Mean images or faces per model call on the slice.", "slice");

    public void FacesDetected(string tenant, int count) => Faces.WithLabels(tenant).Inc(count);

    public static void QuotaRejected(string tenant, string limit) => QuotaRejections.WithLabels(tenant, limit).Inc();

    public static void Request(string tenant, string route, int status, TimeSpan elapsed)
    {
        Requests.WithLabels(tenant, route, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        Latency.WithLabels(tenant, route).Observe(elapsed.TotalSeconds);
    }

    /// <summary>Refreshes the slice gauges from the cluster just before each scrape.</summary>
    public static void CollectSlicesOnScrape(IClusterClient cluster) =>
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async cancellationToken =>
        {
            try
            {
                foreach (var slice in await cluster.GetGrain<ISliceCatalogGrain>(0).GetSlices().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken))
                {
                    var stats = await cluster.GetGrain<IInferenceGrain>(slice.SliceId).GetStats();
                    QueueDepth.WithLabels(slice.SliceId).Set(stats.Queued);
                    Running.WithLabels(slice.SliceId).Set(stats.Running);
                    ModelCalls.WithLabels(slice.SliceId).Set(stats.Completed);
                    InferenceMs.WithLabels(slice.SliceId).Set(stats.MeanRunMilliseconds);
                    BatchSize.WithLabels(slice.SliceId).Set(stats.MeanBatchSize);
                    Cancelled.WithLabels(slice.SliceId).Set(stats.Cancelled);
                }
            }
            catch (Exception ex) when (ex is TimeoutException or SliceUnavailableException or OrleansException)
            {
                // A scrape must still answer with the request metrics while the cluster is unreachable.
            }
        });

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
                        : context.GetRouteValue("tenant") as string ?? context.User.KeyTenant() ?? "admin";
                Request(tenant, endpoint.RoutePattern.RawText ?? "?", context.Response.StatusCode, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            }
        }
    }
}
