using System.Diagnostics;
using FaceOrleans.Api.Hosting;
using FaceOrleans.Api.Observability;
using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Api.Endpoints;

internal static class FaceEndpoints
{
    public const string RateLimitPolicy = "tenant-concurrency";

    public static void MapFaceEndpoints(this IEndpointRouteBuilder app)
    {
        var faces = app.MapGroup(string.Empty).WithTags("Faces").DisableAntiforgery().RequireRateLimiting(RateLimitPolicy);

        faces.MapPost("/v1/{tenant}/compare", Compare)
            .WithName("Compare")
            .WithSummary("Compare the most prominent face of two images (1:1).")
            .RequireTenantAccess().Audited("compare");
        faces.MapPost("/{tenant}/compare", Compare)
            .WithName("CompareTutorialRoute")
            .WithSummary("The tutorial's per-tenant proxy route; same as /v1/{tenant}/compare.")
            .RequireTenantAccess().Audited("compare");
        faces.MapPost("/compare", (
                HttpContext http, IFormFile? image1, IFormFile? image2, [FromForm] string? threshold, [FromForm(Name = "det_threshold")] string? detThreshold,
                IClusterClient cluster, IOptions<ApiOptions> options, ApiMetrics metrics) =>
                Compare(TenantAccess.TenantFromKey(http.User), image1, image2, threshold, detThreshold, cluster, options, metrics, http.RequestAborted))
            .WithName("CompareForKeyTenant")
            .WithSummary("The tutorial's route: the tenant is the API key's.")
            .RequireAuthorization().Audited("compare");
        faces.MapPost("/v1/{tenant}/detect", Detect)
            .WithName("Detect")
            .WithSummary("Every face in the image with its box, score, five landmarks and enrollment quality; mode=thorough also searches tiles for small faces.")
            .RequireTenantAccess();
        faces.MapPost("/v1/{tenant}/embed", Embed)
            .WithName("Embed")
            .WithSummary("One embedding per face; add ?encoding=base64 for little-endian float32 in base64.")
            .RequireTenantAccess();
    }

    /// <param name="image1">First image (JPEG, PNG, BMP or WebP).</param>
    /// <param name="image2">Second image.</param>
    /// <param name="threshold">Cosine similarity at or above which the faces are the same person (0-1); default: the tenant's.</param>
    /// <param name="detThreshold">Detection score threshold (0-1); default: the tenant's, else 0.7.</param>
    private static async Task<Ok<CompareResponse>> Compare(
        string tenant, IFormFile? image1, IFormFile? image2, [FromForm] string? threshold, [FromForm(Name = "det_threshold")] string? detThreshold,
        IClusterClient cluster, IOptions<ApiOptions> options, ApiMetrics metrics, CancellationToken cancellationToken)
    {
        // Fields are optional in the signature so that a missing one gets a problem naming it.
        var started = Stopwatch.GetTimestamp();
        var limit = options.Value.MaxUploadBytes;
        var request = new CompareRequest(
            await FormFields.ReadImageAsync(image1, "image1", limit, cancellationToken),
            await FormFields.ReadImageAsync(image2, "image2", limit, cancellationToken));
        var requested = new RequestOptions(FormFields.ParseThreshold(threshold, "threshold"), FormFields.ParseThreshold(detThreshold, "det_threshold"));

        // An image without a face comes back as a NoFace rejection, mapped like every other (RejectionProblems).
        var result = await cluster.GetGrain<ITenantGrain>(tenant).Compare(request, requested, cancellationToken);
        metrics.FacesDetected(tenant, result.Faces1.Count + result.Faces2.Count);
        return TypedResults.Ok(new CompareResponse(result.Similarity, result.IsSamePerson, result.Threshold, result.Message,
            new ComparedFaces(FaceJson.From(result.Faces1), FaceJson.From(result.Faces2)), ElapsedMs(started), result.SliceId));
    }

    /// <param name="mode"><c>fast</c> (one pass) or <c>thorough</c> (tiles too, for small faces in crowds); default: the tenant's, else fast.</param>
    private static async Task<Ok<DetectResponse>> Detect(
        string tenant, IFormFile? image, [FromForm(Name = "det_threshold")] string? detThreshold, [FromForm] string? mode,
        IClusterClient cluster, IOptions<ApiOptions> options, ApiMetrics metrics, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var bytes = await FormFields.ReadImageAsync(image, "image", options.Value.MaxUploadBytes, cancellationToken);
        var requested = new RequestOptions(DetectionThreshold: FormFields.ParseThreshold(detThreshold, "det_threshold"), DetectionMode: FormFields.ParseMode(mode, "mode"));
        var result = await cluster.GetGrain<ITenantGrain>(tenant).Detect(new DetectRequest(bytes), requested, cancellationToken);
        metrics.FacesDetected(tenant, result.Faces.Count);
        return TypedResults.Ok(new DetectResponse(result.Faces.Count, FaceJson.From(result.Faces), ElapsedMs(started), result.SliceId));
    }

    private static async Task<Ok<EmbedResponse>> Embed(
        string tenant, IFormFile? image, [FromForm(Name = "det_threshold")] string? detThreshold, [FromQuery] string? encoding,
        IClusterClient cluster, IOptions<ApiOptions> options, ApiMetrics metrics, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var base64 = EmbeddedFaceJson.IsBase64(encoding);
        var bytes = await FormFields.ReadImageAsync(image, "image", options.Value.MaxUploadBytes, cancellationToken);
        var result = await cluster.GetGrain<ITenantGrain>(tenant).Embed(
            new EmbedRequest(bytes), new RequestOptions(DetectionThreshold: FormFields.ParseThreshold(detThreshold, "det_threshold")), cancellationToken);
        metrics.FacesDetected(tenant, result.Faces.Count);
        return TypedResults.Ok(new EmbedResponse(result.Model, result.ModelVersion, result.Dimensions, EmbeddedFaceJson.EncodingName(base64),
            EmbeddedFaceJson.From(result.Faces, base64), ElapsedMs(started), result.SliceId));
    }

    public static double ElapsedMs(long started) => Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1);
}
