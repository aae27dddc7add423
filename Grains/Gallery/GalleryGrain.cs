using System.Diagnostics;
using FaceOrleans.Grains.Placement;
using FaceOrleans.Vision;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// A tenant's gallery. Faces are embedded by the tenant's own grain (on the tenant's slice), stored one record
/// each by the shard that owns them, and searched across all shards in parallel. Reentrant on purpose: its only
/// state is the gallery's layout, so a tenant's concurrent enrollments and searches need not wait for each
/// other, nor for a re-shard moving faces in the background (GalleryGrain.Reshard.cs).
/// </summary>
[Reentrant]
[TenantScoped]
[GrainType("gallery")]
public sealed partial class GalleryGrain(IGalleryStore store, IOptions<GalleryOptions> options, ILogger<GalleryGrain> logger) : Grain, IGalleryGrain
{
    private GalleryLayout _layout = null!;
    private bool _layoutRecorded;
    private Task? _resharding;

    // The recognizer of every face in the gallery, once checked across the shards (null: not checked since the
    // gallery activated or lost faces). Enrollments compare with it, so an enrollment fans out to the shards only once.
    private EmbeddingModel? _model;

    private string Tenant => this.GetPrimaryKeyString();

    private ITenantGrain TenantGrain => GrainFactory.GetGrain<ITenantGrain>(Tenant);

    private IGalleryShardGrain Shard(int shard) => GrainFactory.GetGrain<IGalleryShardGrain>($"{Tenant}/{shard}");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var recorded = await store.GetLayoutAsync(Tenant);
        _layoutRecorded = recorded is not null;
        _layout = recorded ?? new GalleryLayout(0, Math.Clamp(options.Value.Shards, 1, GalleryLayout.MaxShards));
        if (_layout.IsResharding)
        {
            // Interrupted (a crash, a restart): pick the move up where the store says it stands.
            StartMoving();
        }
    }

    public async Task<SubjectInfo> CreateSubject(string subjectId, string? displayName, IReadOnlyDictionary<string, string>? metadata)
    {
        if (string.IsNullOrWhiteSpace(subjectId) || subjectId.Length > 128 || subjectId.Contains('/', StringComparison.Ordinal))
        {
            throw new RequestRejectedException(RejectionCode.InvalidParameter, "id", "id must be 1-128 characters without '/'");
        }

        SubjectLimits.Check(displayName, metadata);

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
            // A delete sent again after its erasure failed: the rows are gone, the remnants may not be.
            await store.EraseRemnantsAsync();
            throw NotFound(subjectId);
        }

        _model = null;
        await Task.WhenAll(_layout.AllShards.Select(s => Shard(s).RemoveSubject(subjectId)));
        await store.EraseRemnantsAsync();
    }

    public async Task DeleteGallery()
    {
        await store.DeleteTenantAsync(Tenant);
        _model = null;
        await Task.WhenAll(_layout.AllShards.Select(s => Shard(s).EraseAll()));
        await store.EraseRemnantsAsync();
        // Reactivated on the next call with the default layout, as a gallery that never held a face.
        DeactivateOnIdle();
    }

    public async Task<EnrolledFace> Enroll(string subjectId, EnrollRequest request, CancellationToken cancellationToken = default)
    {
        if (request.FaceId is { } named && !FaceIds.IsValid(named))
        {
            throw new RequestRejectedException(RejectionCode.InvalidParameter, "face_id", "a face id is 16 lowercase hexadecimal digits");
        }

        _ = await store.GetSubjectAsync(Tenant, subjectId) ?? throw NotFound(subjectId);
        // Refusing a photo of several people counts every face, which is a question for the full detection size; and
        // one pass: an enrollment photo is of one person, and a background face only tiles find would refuse it.
        var embedded = await TenantGrain.Embed(
            new EmbedRequest(request.Image, ProminentFaceFirst: request.UseLargestFace),
            new RequestOptions(DetectionThreshold: request.DetectionThreshold, DetectionMode: DetectionMode.Fast),
            cancellationToken);
        var face = FaceToEnroll(embedded.Faces, request.UseLargestFace, "image", inBatch: false);
        var keepPhoto = (await TenantGrain.GetSettings()).StoreEnrollmentPhotos;
        return await StoreAsync(subjectId, face, embedded.Recognizer, keepPhoto ? request.Image : null, request.FaceId);
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
                return new EnrollOutcome(await StoreAsync(subjectId, face, embedded.Recognizer, keepPhoto ? image.Data : null), null);
            }
            catch (Exception ex) when (ex is RequestRejectedException or GalleryStoreUnavailableException)
            {
                return new EnrollOutcome(null, ex);
            }
        }));
    }

    public async Task DeleteFace(string subjectId, string faceId)
    {
        if (await store.DeleteFaceAsync(Tenant, subjectId, faceId) is not { } shard)
        {
            await store.EraseRemnantsAsync();
            throw new RequestRejectedException(RejectionCode.UnknownSubject, null, $"Subject '{subjectId}' has no face '{faceId}'.");
        }

        _model = null;

        // During a re-shard the face may still be indexed by the old shard it is being moved from.
        var layout = _layout;
        var shards = layout.IsResharding ? [shard, layout.FirstShard + GalleryOptions.ShardOf(faceId, layout.Shards)] : new[] { shard };
        await Task.WhenAll(shards.Distinct().Select(s => Shard(s).Remove([faceId])));
        await store.EraseRemnantsAsync();
    }

    public Task<byte[]?> GetFacePhoto(string subjectId, string faceId) => store.GetPhotoAsync(Tenant, subjectId, faceId);

    public async Task<IdentifyResult> Identify(IdentifyRequest request, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var topK = request.TopK >= 1 && request.TopK <= options.Value.MaxTopK ? request.TopK
            : throw new RequestRejectedException(RejectionCode.InvalidParameter, "top_k", $"top_k must be between 1 and {options.Value.MaxTopK}");
        // A stranger meets every enrolled subject here, so the stricter 1:N threshold decides.
        var embedded = await Embed(request, new RequestOptions(IdentificationThreshold: request.Threshold, DetectionThreshold: request.DetectionThreshold), cancellationToken);
        var threshold = embedded.IdentificationThreshold;
        var queries = embedded.Faces.Select(f => f.Vector).ToArray();
        var (perQuery, gallerySize) = await SearchAllShards(queries, embedded.Recognizer, topK, null, cancellationToken);

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
        var (perQuery, _) = await SearchAllShards([face.Vector], embedded.Recognizer, 1, subjectId, cancellationToken);
        var best = perQuery[0].FirstOrDefault()
            ?? throw new RequestRejectedException(RejectionCode.NoEnrolledFace, null, $"Subject '{subjectId}' has no enrolled face to verify against.");
        return new VerifyResult(subjectId, best.Similarity, best.Similarity >= threshold, threshold, best.FaceId, face.Face);
    }

    public async Task<GalleryStatus> GetStatus()
    {
        // Counted in the store, where each face is in exactly one shard even while a re-shard moves it.
        var layout = _layout;
        var counts = await Task.WhenAll(layout.AllShards.Select(async s => (Shard: s, Count: await store.CountFacesAsync(Tenant, s))));
        return new GalleryStatus(layout.Shards, layout.TargetShards, counts.Sum(c => c.Count), counts.Where(c => !layout.Accepts(c.Shard)).Sum(c => c.Count));
    }

    public async Task<GalleryStatus> Reshard(int shards)
    {
        if (shards is < 1 or > GalleryLayout.MaxShards)
        {
            throw new RequestRejectedException(RejectionCode.InvalidParameter, "shards", $"shards must be between 1 and {GalleryLayout.MaxShards}");
        }

        await RecordLayoutAsync();
        var layout = _layout;
        if (layout.IsResharding && layout.TargetShards != shards)
        {
            throw new RequestRejectedException(RejectionCode.ReshardInProgress, "shards",
                $"A re-shard from {layout.Shards} to {layout.TargetShards} shards is under way; wait for it, or ask for {layout.TargetShards} shards to resume it.");
        }

        if (!layout.IsResharding && layout.Shards != shards)
        {
            var target = layout.BeginReshard(shards);
            if (!await store.ReplaceLayoutAsync(Tenant, layout, target))
            {
                throw new RequestRejectedException(RejectionCode.ReshardInProgress, "shards", "The gallery's layout changed meanwhile; ask again.");
            }

            _layout = target;
            LogReshardStarted(logger, Tenant, layout.Shards, shards);
        }

        if (_layout.IsResharding)
        {
            StartMoving();
        }

        return await GetStatus();
    }

    /// <summary>
    /// The photo's faces, embedded on the tenant's slice (most prominent face first, unless the tenant or call asks
    /// for thorough detection), with the thresholds the tenant resolved for this call.
    /// </summary>
    private Task<EmbedResult> Embed(IdentifyRequest request, RequestOptions options, CancellationToken cancellationToken) =>
        TenantGrain.Embed(new EmbedRequest(request.Image, ProminentFaceFirst: true), options, cancellationToken);

    /// <summary>
    /// Each shard returns its own top-k subjects; merging keeps every subject's best face across shards, which
    /// is the exact global top-k because a subject's best face ranks in the top-k of its own shard. During a
    /// re-shard a moved face sits in an old and a new shard at once: the merge by subject absorbs that. Every shard
    /// checks <paramref name="model"/> against its faces' recognizer, so a gallery of another recognizer is refused, never searched.
    /// </summary>
    private async Task<(List<Candidate>[] PerQuery, long GallerySize)> SearchAllShards(
        float[][] queries, EmbeddingModel model, int topK, string? subjectId, CancellationToken cancellationToken)
    {
        if (_model is { } known && known != model)
        {
            throw ModelMismatch.Between(Tenant, known, model);
        }

        var layout = _layout;
        var shards = layout.AllShards.Select(Shard).ToArray();
        var searches = Task.WhenAll(shards.Select(s => s.Search(queries, model, topK, subjectId, cancellationToken)));

        // While a re-shard runs, old shards still hold the faces already moved: count the new ones only.
        var counts = Task.WhenAll(layout.AllShards.Where(layout.Accepts).Select(s => Shard(s).Count()));
        var retiring = Task.WhenAll(layout.Retiring.Select(s => store.CountFacesAsync(Tenant, s)));
        var results = await searches;
        var merged = queries.Select((_, q) => SubjectRanking.Merge(results.SelectMany(r => r[q]), topK)).ToArray();
        return (merged, (await counts).Sum(c => (long)c) + (await retiring).Sum());
    }

    /// <summary>Records the layout before the gallery's first face, so a later change of the configured count cannot strand faces.</summary>
    private async Task RecordLayoutAsync()
    {
        if (_layoutRecorded)
        {
            return;
        }

        if (!await store.ReplaceLayoutAsync(Tenant, null, _layout))
        {
            _layout = await store.GetLayoutAsync(Tenant) ?? _layout;
        }

        _layoutRecorded = true;
    }

    private void StartMoving()
    {
        if (_resharding is null || _resharding.IsCompleted)
        {
            _resharding = MoveFacesAsync();
        }
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

    /// <summary>
    /// Stores the face in its shard (one durable record) before it is indexed and reported, under
    /// <paramref name="faceId"/> when the caller chose one (so that sending it again stores it once), else a new id.
    /// </summary>
    private async Task<EnrolledFace> StoreAsync(string subjectId, FaceEmbedding face, EmbeddingModel model, byte[]? photo, string? faceId = null)
    {
        faceId ??= FaceIds.New();
        await RecordLayoutAsync();
        await RequireOneModelAsync(model);

        // A shard refuses the face only when a re-shard began after the layout was read: read it again.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (await Shard(_layout.ShardFor(faceId)).Add(faceId, subjectId, face.Vector, model, photo))
            {
                return new EnrolledFace(faceId, subjectId, face.Face);
            }

            _layout = await store.GetLayoutAsync(Tenant) ?? _layout;
        }

        throw new GalleryStoreUnavailableException("The gallery's layout kept changing while the face was stored; nothing was enrolled, retry.");
    }

    /// <summary>
    /// Refuses <paramref name="model"/> unless every face of the gallery, in any shard, is of it: a gallery is one
    /// embedding space, and the face's own shard alone may still be empty.
    /// </summary>
    private async Task RequireOneModelAsync(EmbeddingModel model)
    {
        if (_model == model)
        {
            return;
        }

        var layout = _layout;
        var models = await Task.WhenAll(layout.AllShards.Select(s => Shard(s).GetModels()));
        ModelMismatch.ThrowUnlessAll(Tenant, models.SelectMany(m => m), model);
        _model = model;
    }

    private static RequestRejectedException NotFound(string subjectId) =>
        new(RejectionCode.UnknownSubject, null, $"Subject '{subjectId}' does not exist.");

    private static RequestRejectedException NoFace(string message) => new(RejectionCode.NoFace, "image", message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gallery {Tenant}: re-shard from {From} to {To} shards started")]
    private static partial void LogReshardStarted(ILogger logger, string tenant, int from, int to);
}
