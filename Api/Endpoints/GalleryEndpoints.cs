using System.Diagnostics;
using FaceOrleans.Api.Hosting;
using FaceOrleans.Api.Problems;
using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using FaceOrleans.Vision;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Api.Endpoints;

internal static class GalleryEndpoints
{
    public const string Unknown = "unknown";

    public static void MapGalleryEndpoints(this IEndpointRouteBuilder app)
    {
        var gallery = app.MapGroup("/v1/{tenant}").WithTags("Gallery").DisableAntiforgery();

        gallery.MapPost("/subjects", async (string tenant, CreateSubjectRequest? request, IClusterClient cluster) =>
            {
                SubjectLimits.Check(request?.DisplayName, request?.Metadata);
                var subject = await cluster.GetGrain<IGalleryGrain>(tenant).CreateSubject(
                    request?.Id ?? throw FormFields.MissingField("id", "The JSON body has no 'id'."), request.DisplayName, request.Metadata);
                return TypedResults.Created($"/v1/{tenant}/subjects/{Uri.EscapeDataString(subject.Id)}", subject);
            })
            .WithName("CreateSubject").ProducesProblem(StatusCodes.Status409Conflict).WithSummary("Create a subject: id, optional display name and metadata.").RequireTenantAccess().Audited("subject.create");

        gallery.MapGet("/subjects", async (string tenant, IClusterClient cluster, int? page, int? size) =>
                TypedResults.Ok(await cluster.GetGrain<IGalleryGrain>(tenant).ListSubjects(page ?? 1, size ?? 50)))
            .WithName("ListSubjects").WithSummary("Subjects in order of creation, a page at a time, with the total.").RequireTenantAccess();

        gallery.MapDelete("/subjects/{id}", async (string tenant, string id, IClusterClient cluster) =>
            {
                await cluster.GetGrain<IGalleryGrain>(tenant).DeleteSubject(id);
                return TypedResults.NoContent();
            })
            .WithName("DeleteSubject").WithSummary("Remove the subject and every face enrolled for it.").RequireTenantAccess().Audited("subject.delete");

        gallery.MapPost("/subjects/{id}/faces", async (
                string tenant, string id, IFormFile? image, [FromForm] string? largest, [FromForm(Name = "det_threshold")] string? detThreshold,
                IClusterClient cluster, IOptions<ApiOptions> options, CancellationToken cancellationToken) =>
            {
                var bytes = await FormFields.ReadImageAsync(image, "image", options.Value.MaxUploadBytes, cancellationToken);
                var enrolled = await cluster.GetGrain<IGalleryGrain>(tenant).Enroll(id,
                    new EnrollRequest(bytes, FormFields.ParseFlag(largest, "largest"), FormFields.ParseThreshold(detThreshold, "det_threshold"), FaceIds.New()),
                    cancellationToken);
                return TypedResults.Created(FaceLocation(tenant, enrolled), EnrolledFaceJson.From(enrolled));
            })
            .WithName("EnrollFace").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Enroll one photo of the subject (multipart image; largest=true to take the largest of several faces). Stored before 201.")
            .RequireTenantAccess().RequireRateLimiting(FaceEndpoints.RateLimitPolicy).Audited("face.enroll");

        gallery.MapDelete("/subjects/{id}/faces/{faceId}", async (string tenant, string id, string faceId, IClusterClient cluster) =>
            {
                await cluster.GetGrain<IGalleryGrain>(tenant).DeleteFace(id, faceId);
                return TypedResults.NoContent();
            })
            .WithName("DeleteFace").WithSummary("Remove one enrolled face.").RequireTenantAccess().Audited("face.delete");

        gallery.MapGet("/subjects/{id}/faces/{faceId}/photo", async (string tenant, string id, string faceId, IClusterClient cluster) =>
            {
                var photo = await cluster.GetGrain<IGalleryGrain>(tenant).GetFacePhoto(id, faceId);
                return photo is null
                    ? ApiProblems.Result(StatusCodes.Status404NotFound, "unknown-photo", "No stored photo",
                        $"No photo is stored for face '{faceId}' of '{id}': the face does not exist, or the tenant does not keep photos (store_enrollment_photos).")
                    : TypedResults.File(photo, MediaTypeOf(photo));
            })
            .WithName("GetFacePhoto").WithSummary("The photo a face was enrolled from, when the tenant keeps photos.").RequireTenantAccess().Audited("photo.read");

        gallery.MapPost("/identify", async (
                string tenant, IFormFile? image, [FromForm(Name = "top_k")] string? topK, [FromForm] string? threshold,
                [FromForm(Name = "det_threshold")] string? detThreshold, IClusterClient cluster, IOptions<ApiOptions> options,
                CancellationToken cancellationToken) =>
            {
                var started = Stopwatch.GetTimestamp();
                var bytes = await FormFields.ReadImageAsync(image, "image", options.Value.MaxUploadBytes, cancellationToken);
                var result = await cluster.GetGrain<IGalleryGrain>(tenant).Identify(new IdentifyRequest(
                    bytes, FormFields.ParseInt(topK, "top_k") ?? 5, FormFields.ParseThreshold(threshold, "threshold"), FormFields.ParseThreshold(detThreshold, "det_threshold")),
                    cancellationToken);
                return TypedResults.Ok(new IdentifyResponse(
                    result.Faces.Select(f => new IdentifiedFaceJson(FaceJson.From(f.Face), f.Match ?? Unknown,
                        f.Candidates.Select(c => new CandidateJson(c.SubjectId, c.FaceId, c.Similarity)).ToArray())).ToArray(),
                    result.Threshold, result.GallerySize, FaceEndpoints.ElapsedMs(started)));
            })
            .WithName("Identify").ProducesProblem(StatusCodes.Status409Conflict).WithSummary("For every face in the photo, its top-k subjects, or unknown when none reaches the threshold (1:N).")
            .RequireTenantAccess().RequireRateLimiting(FaceEndpoints.RateLimitPolicy).Audited("identify");

        gallery.MapPost("/subjects/{id}/verify", async (
                string tenant, string id, IFormFile? image, [FromForm] string? threshold, IClusterClient cluster,
                IOptions<ApiOptions> options, CancellationToken cancellationToken) =>
            {
                var started = Stopwatch.GetTimestamp();
                var bytes = await FormFields.ReadImageAsync(image, "image", options.Value.MaxUploadBytes, cancellationToken);
                var result = await cluster.GetGrain<IGalleryGrain>(tenant).Verify(
                    id, new IdentifyRequest(bytes, 1, FormFields.ParseThreshold(threshold, "threshold")), cancellationToken);
                return TypedResults.Ok(new VerifyResponse(result.SubjectId, result.Similarity, result.IsMatch, result.Threshold, result.BestFaceId,
                    FaceJson.From(result.Face), FaceEndpoints.ElapsedMs(started)));
            })
            .WithName("VerifySubject").ProducesProblem(StatusCodes.Status409Conflict).WithSummary("Best similarity of the photo's largest face to the subject's faces, and the decision.")
            .RequireTenantAccess().RequireRateLimiting(FaceEndpoints.RateLimitPolicy).Audited("verify");

        MapLayoutEndpoints(gallery);
    }

    private static void MapLayoutEndpoints(RouteGroupBuilder gallery)
    {
        gallery.MapGet("/gallery", async (string tenant, IClusterClient cluster) =>
                TypedResults.Ok(GalleryStatusJson.From(await cluster.GetGrain<IGalleryGrain>(tenant).GetStatus())))
            .WithName("GetGallery").WithSummary("The gallery's shard count, size, and the progress of a running re-shard.").RequireTenantAccess();

        gallery.MapPost("/gallery/reshard", async (string tenant, ReshardRequest? request, IClusterClient cluster) =>
            {
                var shards = request?.Shards ?? throw FormFields.MissingField("shards", "Send {\"shards\": N} with the new shard count.");
                var status = GalleryStatusJson.From(await cluster.GetGrain<IGalleryGrain>(tenant).Reshard(shards));
                return TypedResults.Accepted($"/v1/{tenant}/gallery", status);
            })
            .WithName("ReshardGallery")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Move the gallery's faces into a new number of shards without re-enrolling (tenant-admin or admin key). " +
                "Runs in the background, safe to interrupt; GET /v1/{tenant}/gallery shows progress.")
            .RequireTenantAccess(adminOnly: true).Audited("gallery.reshard", AuditTrail.BodyOf<ReshardRequest>);

        gallery.MapPost("/gallery/reembed", async (string tenant, IClusterClient cluster, CancellationToken cancellationToken) =>
                TypedResults.Ok(ReembedJson.From(await cluster.GetGrain<IGalleryGrain>(tenant).Reembed(cancellationToken))))
            .WithName("ReembedGallery").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("After the tenant's recognizer changed: embed every face of another recognizer again from its stored enrollment " +
                "photo, keeping face ids (tenant-admin or admin key). All or nothing; 409 enrollment-photos-missing when photos were not kept.")
            .RequireTenantAccess(adminOnly: true).Audited("gallery.reembed");
    }

    /// <summary>Where an enrolled face lives: the Location of its 201.</summary>
    public static string FaceLocation(string tenant, EnrolledFace face) =>
        $"/v1/{tenant}/subjects/{Uri.EscapeDataString(face.SubjectId)}/faces/{face.FaceId}";

    private static string MediaTypeOf(byte[] photo) => ImageHeader.Read(photo).Format switch
    {
        ImageFormat.Png => "image/png",
        ImageFormat.Bmp => "image/bmp",
        ImageFormat.WebP => "image/webp",
        _ => "image/jpeg",
    };
}
