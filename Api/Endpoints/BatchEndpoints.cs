using System.Diagnostics;
using FaceOrleans.Api.Hosting;
using FaceOrleans.Api.Observability;
using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Api.Endpoints;

/// <summary>
/// Several images in one multipart request (parts named <c>images</c> or <c>image</c>), answered 200 with one item
/// per image in request order: its result, or its own problem. The images a request carries run as one batch on
/// the tenant's slice; only a problem with the request as a whole (no image, too many, a bad parameter, an unknown
/// subject) answers with a status of its own.
/// </summary>
internal static class BatchEndpoints
{
    public static void MapBatchEndpoints(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<ApiOptions>>().Value;

        // A batch may be larger than the single routes' body limit: the whole request is held to MaxBatchUploadBytes instead.
        var batches = app.MapGroup("/v1/{tenant}").WithTags("Batches").DisableAntiforgery()
            .RequireRateLimiting(FaceEndpoints.RateLimitPolicy)
            .WithMetadata(new RequestSizeLimitAttribute(options.MaxBatchUploadBytes))
            .WithFormOptions(multipartBodyLengthLimit: options.MaxBatchUploadBytes);

        batches.MapPost("/detect/batch", DetectBatch)
            .WithName("DetectBatch")
            .WithSummary("Every face in each of several images (multipart images), one result or problem per image, in order.")
            .RequireTenantAccess();
        batches.MapPost("/embed/batch", EmbedBatch)
            .WithName("EmbedBatch")
            .WithSummary("One embedding per face in each of several images; ?encoding=base64 as for /embed.")
            .RequireTenantAccess();
        batches.MapPost("/subjects/{id}/faces/batch", EnrollBatch)
            .WithName("EnrollFaces").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Enroll several photos of the subject: per photo 201 with its face_id (stored before the answer) or its problem.")
            .RequireTenantAccess().Audited("face.enroll");
    }

    /// <param name="files">The images: one part each, named images (or image).</param>
    /// <param name="detThreshold">Detection score threshold (0-1); default: the tenant's, else the model's.</param>
    private static async Task<Ok<DetectBatchResponse>> DetectBatch(
        string tenant, IFormFileCollection files, [FromForm(Name = "det_threshold")] string? detThreshold,
        IClusterClient cluster, IOptions<ApiOptions> options, ApiMetrics metrics, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var uploads = await BatchUploads.ReadAsync(files, options.Value, cancellationToken);
        var requested = new RequestOptions(DetectionThreshold: FormFields.ParseThreshold(detThreshold, "det_threshold"));
        var result = await cluster.GetGrain<ITenantGrain>(tenant).DetectBatch(BatchUploads.ToBatch(uploads), requested, cancellationToken);
        metrics.FacesDetected(tenant, result.Images.Sum(i => i.Faces.Count));
        var items = BatchUploads.Merge(uploads, result.Images, i => i.Failure,
            i => (StatusCodes.Status200OK, new DetectedImageJson(i.Faces.Count, FaceJson.From(i.Faces)), (string?)null));
        return TypedResults.Ok(new DetectBatchResponse(items.Length, Failed(items), items, FaceEndpoints.ElapsedMs(started), result.SliceId));
    }

    private static async Task<Ok<EmbedBatchResponse>> EmbedBatch(
        string tenant, IFormFileCollection files, [FromForm(Name = "det_threshold")] string? detThreshold, [FromQuery] string? encoding,
        IClusterClient cluster, IOptions<ApiOptions> options, ApiMetrics metrics, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var base64 = EmbeddedFaceJson.IsBase64(encoding);
        var uploads = await BatchUploads.ReadAsync(files, options.Value, cancellationToken);
        var requested = new RequestOptions(DetectionThreshold: FormFields.ParseThreshold(detThreshold, "det_threshold"));
        var result = await cluster.GetGrain<ITenantGrain>(tenant).EmbedBatch(BatchUploads.ToBatch(uploads), requested, cancellationToken);
        metrics.FacesDetected(tenant, result.Images.Sum(i => i.Faces.Count));
        var items = BatchUploads.Merge(uploads, result.Images, i => i.Failure,
            i => (StatusCodes.Status200OK, new EmbeddedImageJson(EmbeddedFaceJson.From(i.Faces, base64)), (string?)null));
        return TypedResults.Ok(new EmbedBatchResponse(result.Model, result.ModelVersion, result.Dimensions, EmbeddedFaceJson.EncodingName(base64),
            items.Length, Failed(items), items, FaceEndpoints.ElapsedMs(started), result.SliceId));
    }

    /// <param name="largest">true: a photo of several faces enrolls its largest, as for one photo.</param>
    private static async Task<Ok<EnrollBatchResponse>> EnrollBatch(
        string tenant, string id, IFormFileCollection files, [FromForm] string? largest, [FromForm(Name = "det_threshold")] string? detThreshold,
        IClusterClient cluster, IOptions<ApiOptions> options, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var uploads = await BatchUploads.ReadAsync(files, options.Value, cancellationToken);
        var request = new EnrollBatchRequest(BatchUploads.ToBatch(uploads).Images,
            FormFields.ParseFlag(largest, "largest"), FormFields.ParseThreshold(detThreshold, "det_threshold"));
        var outcomes = await cluster.GetGrain<IGalleryGrain>(tenant).EnrollBatch(id, request, cancellationToken);
        var items = BatchUploads.Merge(uploads, outcomes, o => o.Failure,
            o => (StatusCodes.Status201Created, EnrolledFaceJson.From(o.Enrolled!), (string?)GalleryEndpoints.FaceLocation(tenant, o.Enrolled!)));
        return TypedResults.Ok(new EnrollBatchResponse(id, items.Length - Failed(items), Failed(items), items, FaceEndpoints.ElapsedMs(started)));
    }

    private static int Failed<T>(IEnumerable<BatchItemJson<T>> items) => items.Count(i => i.Problem is not null);
}
