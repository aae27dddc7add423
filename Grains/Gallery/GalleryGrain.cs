using System.Diagnostics;
using System.Security.Cryptography;
using FaceOrleans.Vision;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// A tenant's gallery. Faces are embedded by the tenant's own grain (on the tenant's slice), stored one record
/// each by the shard that owns them, and searched across all shards in parallel. Reentrant on purpose: it keeps
/// no state of its own, so a tenant's concurrent enrollments and searches need not wait for each other.
/// </summary>
[Reentrant]
[GrainType("gallery")]
public sealed partial class GalleryGrain(IGalleryStore store, IOptions<GalleryOptions> options) : Grain, IGalleryGrain
{
    private string Tenant => this.GetPrimaryKeyString();

    private int Shards => Math.Max(1, options.Value.Shards);

    private ITenantGrain TenantGrain => GrainFactory.GetGrain<ITenantGrain>(Tenant);

    private IGalleryShardGrain Shard(int shard) => GrainFactory.GetGrain<IGalleryShardGrain>($"{Tenant}/{shard}");

    public async Task<SubjectInfo> CreateSubject(string subjectId, string? displayName, IReadOnlyDictionary<string, string>? metadata)
    {
        if (string.IsNullOrWhiteSpace(subjectId) || subjectId.Length > 128 || subjectId.Contains('/', StringComparison.Ordinal))
        {
            throw new RequestRejectedException(RejectionCode.InvalidParameter, "id", "id must be 1-128 characters without '/'");
        }

        var subject = new SubjectInfo(subjectId, displayName, metadata, DateTimeOffset.UtcNow, 0);
        return await store.CreateSubjectAsync(Tenant, subject)
            ? subject
            : throw new RequestRejectedException(RejectionCode.SubjectExists, "id", $"Subject '{subjectId}' already exists.");
    }

    public async Task<SubjectPage> ListSubjects(int page, int size)
    {
        if (page < 1 || size is < 1 or > 1000)
        {
            throw new RequestRejectedException(RejectionCode.InvalidParameter, page < 1 ? "page" : "size", "page must be at least 1 and size between 1 and 1000");
        }

        var (items, total) = await store.ListSubjectsAsync(Tenant, (page - 1) * size, size);
        return new SubjectPage(items, page, size, total);
    }

    public async Task DeleteSubject(string subjectId)
    {
        if (!await store.DeleteSubjectAsync(Tenant, subjectId))
        {
            throw NotFound(subjectId);
        }

        await Task.WhenAll(Enumerable.Range(0, Shards).Select(s => Shard(s).RemoveSubject(subjectId)));
    }

    public async Task<EnrolledFace> Enroll(string subjectId, EnrollRequest request, CancellationToken cancellationToken = default)
    {
        _ = await store.GetSubjectAsync(Tenant, subjectId) ?? throw NotFound(subjectId);
        // Refusing a photo of several people counts every face, which is a question for the full detection size; and
        // one pass: an enrollment photo is of one person, and a background face only tiles find would refuse it.
        var embedded = await TenantGrain.Embed(
            new EmbedRequest(request.Image, ProminentFaceFirst: request.UseLargestFace),
            new RequestOptions(DetectionThreshold: request.DetectionThreshold, DetectionMode: DetectionMode.Fast),
            cancellationToken);
        var face = FaceToEnroll(embedded.Faces, request.UseLargestFace, "image", inBatch: false);
        var keepPhoto = (await TenantGrain.GetSettings()).StoreEnrollmentPhotos;
        return await StoreAsync(subjectId, face, keepPhoto ? request.Image : null);
    }

    public async Task<IReadOnlyList<EnrollOutcome>> EnrollBatch(string subjectId, EnrollBatchRequest request, CancellationToken cancellationToken = default)
    {
        _ = await store.GetSubjectAsync(Tenant, subjectId) ?? throw NotFound(subjectId);
        var embedded = await TenantGrain.EmbedBatch(
            new ImageBatch(request.Images), new RequestOptions(DetectionThreshold: request.DetectionThreshold, DetectionMode: DetectionMode.Fast), cancellationToken);
        var keepPhoto = (await TenantGrain.GetSettings()).StoreEnrollmentPhotos;

        // Every photo's face is stored before the batch answers; different shards store theirs in parallel.
        return await Task.WhenAll(request.Images.Select(async (image, i) =>
        {
            try
            {
                var faces = embedded.Images[i].Faces;
                var face = embedded.Images[i].Failure is { } failure ? throw failure : FaceToEnroll(faces, request.UseLargestFace, image.Name, inBatch: true);
                return new EnrollOutcome(await StoreAsync(subjectId, face, keepPhoto ? image.Data : null), null);
            }
            catch (Exception ex) when (ex is RequestRejectedException or GalleryStoreUnavailableException)
            {
                return new EnrollOutcome(null, ex);
            }
        }));
    }

    public async Task DeleteFace(string subjectId, string faceId)
    {
        var shard = GalleryOptions.ShardOf(faceId, Shards);
        if (!await store.DeleteFaceAsync(Tenant, shard, subjectId, faceId))
        {
            throw new RequestRejectedException(RejectionCode.UnknownSubject, null, $"Subject '{subjectId}' has no face '{faceId}'.");
        }

        await Shard(shard).Remove(faceId);
    }

    public Task<byte[]?> GetFacePhoto(string subjectId, string faceId) => store.GetPhotoAsync(Tenant, subjectId, faceId);

    public async Task<IdentifyResult> Identify(IdentifyRequest request, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var topK = request.TopK is >= 1 ? Math.Min(request.TopK, options.Value.MaxTopK)
            : throw new RequestRejectedException(RejectionCode.InvalidParameter, "top_k", $"top_k must be between 1 and {options.Value.MaxTopK}");
        // A stranger meets every enrolled subject here, so the stricter 1:N threshold decides.
        var embedded = await Embed(request, new RequestOptions(IdentificationThreshold: request.Threshold, DetectionThreshold: request.DetectionThreshold), cancellationToken);
        var threshold = embedded.IdentificationThreshold;
        var queries = embedded.Faces.Select(f => f.Vector).ToArray();
        var (perQuery, gallerySize) = await SearchAllShards(queries, topK, null);

        var faces = embedded.Faces.Select((f, i) =>
        {
            var candidates = perQuery[i];
            var match = candidates.Count > 0 && candidates[0].Similarity >= threshold ? candidates[0].SubjectId : null;
            return new IdentifiedFace(f.Face, candidates, match);
        }).ToArray();
        return new IdentifyResult(faces, threshold, gallerySize, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    public async Task<VerifyResult> Verify(string subjectId, IdentifyRequest request, CancellationToken cancellationToken = default)
    {
        _ = await store.GetSubjectAsync(Tenant, subjectId) ?? throw NotFound(subjectId);
        // One claimed identity: the 1:1 question, so the 1:1 threshold decides, as compare does; and, as compare,
        // only the most prominent face counts, which one pass finds.
        var embedded = await Embed(request, new RequestOptions(
            SimilarityThreshold: request.Threshold, DetectionThreshold: request.DetectionThreshold, DetectionMode: DetectionMode.Fast), cancellationToken);
        var face = embedded.Faces.MostProminent() ?? throw NoFace("No face found in the photo.");
        var threshold = embedded.SimilarityThreshold;
        var (perQuery, _) = await SearchAllShards([face.Vector], 1, subjectId);
        var best = perQuery[0].FirstOrDefault()
            ?? throw new RequestRejectedException(RejectionCode.NoEnrolledFace, null, $"Subject '{subjectId}' has no enrolled face to verify against.");
        return new VerifyResult(subjectId, best.Similarity, best.Similarity >= threshold, threshold, best.FaceId, face.Face);
    }

    /// <summary>
    /// The photo's faces, embedded on the tenant's slice (most prominent face first, unless the tenant or call asks
    /// for thorough detection), with the thresholds the tenant resolved for this call.
    /// </summary>
    private Task<EmbedResult> Embed(IdentifyRequest request, RequestOptions options, CancellationToken cancellationToken) =>
        TenantGrain.Embed(new EmbedRequest(request.Image, ProminentFaceFirst: true), options, cancellationToken);

    /// <summary>
    /// Each shard returns its own top-k subjects; merging keeps every subject's best face across shards, which
    /// is the exact global top-k because a subject's best face ranks in the top-k of its own shard.
    /// </summary>
    private async Task<(List<Candidate>[] PerQuery, long GallerySize)> SearchAllShards(float[][] queries, int topK, string? subjectId)
    {
        var shards = Enumerable.Range(0, Shards).Select(Shard).ToArray();
        var searches = Task.WhenAll(shards.Select(s => s.Search(queries, topK, subjectId)));
        var counts = Task.WhenAll(shards.Select(s => s.Count()));
        var results = await searches;
        var merged = queries.Select((_, q) => results
            .SelectMany(r => r[q])
            .GroupBy(c => c.SubjectId, StringComparer.Ordinal)
            .Select(g => g.MaxBy(c => c.Similarity)!)
            .OrderByDescending(c => c.Similarity)
            .Take(topK)
            .ToList()).ToArray();
        return (merged, (await counts).Sum(c => (long)c));
    }

    private static string Describe(FaceQualityInfo quality) => QualityLimits.Describe(
        new FaceQuality(quality.InterEyeDistance, quality.Sharpness, quality.Yaw, quality.Pitch), quality.Problems);

    /// <summary>
    /// The photo's one face, or its largest when asked; refuses a photo with none, unless asked with several, or whose face the tenant's quality limits refuse,
    /// naming it by <paramref name="field"/> (and, in a batch, starting the message with that name).
    /// </summary>
    private static FaceEmbedding FaceToEnroll(IReadOnlyList<FaceEmbedding> faces, bool useLargest, string field, bool inBatch)
    {
        var prefix = inBatch ? field + ": " : string.Empty;
        var face = faces.Count switch
        {
            0 => throw new RequestRejectedException(RejectionCode.NoFace, field, $"{prefix}No face found in the photo; nothing was enrolled."),
            1 => faces[0],
            _ when useLargest => faces.MostProminent()!,
            var n => throw new RequestRejectedException(RejectionCode.SeveralFaces, field,
                $"{prefix}The photo shows {n} faces; send a photo of one person, or ask for the largest face."),
        };

        // The slice measured the face and judged it by the tenant's limits; refuse before anything is stored.
        return face.Face.Quality is { Problems.Count: > 0 } quality
            ? throw new RequestRejectedException(RejectionCode.LowQuality, field,
                $"{prefix}The face is not good enough to enroll; nothing was enrolled: {Describe(quality)}.") { Reasons = quality.Problems }
            : face;
    }

    /// <summary>Stores the face in its shard (one durable record) before it is indexed and reported.</summary>
    private async Task<EnrolledFace> StoreAsync(string subjectId, FaceEmbedding face, byte[]? photo)
    {
        var faceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await Shard(GalleryOptions.ShardOf(faceId, Shards)).Add(faceId, subjectId, face.Vector, photo);
        return new EnrolledFace(faceId, subjectId, face.Face);
    }

    private static RequestRejectedException NotFound(string subjectId) =>
        new(RejectionCode.UnknownSubject, null, $"Subject '{subjectId}' does not exist.");

    private static RequestRejectedException NoFace(string message) => new(RejectionCode.NoFace, "image", message);
}
