using FaceOrleans.Vision;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// Re-embedding: after a tenant's recognizer changed, its gallery's faces are embedded again from the enrollment
/// photos the tenant kept (<c>store_enrollment_photos</c>), so the gallery is one embedding space again. Nothing is
/// written until every face has its new embedding; then each shard's faces are replaced in the store and the shard
/// reloads them (its snapshot, of the old embeddings under the same ids, is dropped).
/// </summary>
public sealed partial class GalleryGrain
{
    /// <summary>Photos per call to the slice: one detector and one recognizer call each.</summary>
    private const int ReembedBatch = 16;

    public async Task<ReembedResult> Reembed(CancellationToken cancellationToken = default)
    {
        var layout = _layout;
        if (layout.IsResharding)
        {
            throw new RequestRejectedException(RejectionCode.ReshardInProgress, null,
                $"A re-shard to {layout.TargetShards} shards is under way; re-embed once it has finished.");
        }

        var target = await TenantGrain.GetRecognizer();
        var work = new List<(int Shard, StoredFace Face)>();
        var unchanged = 0;
        foreach (var shard in layout.AllShards)
        {
            await foreach (var face in store.LoadShardAsync(Tenant, shard, cancellationToken))
            {
                if (face.Model == target)
                {
                    unchanged++;
                }
                else
                {
                    work.Add((shard, face));
                }
            }
        }

        if (work.Count > 0)
        {
            var photos = await Task.WhenAll(work.Select(w => store.GetPhotoAsync(Tenant, w.Face.SubjectId, w.Face.FaceId)));
            var missing = work.Where((_, i) => photos[i] is null).Select(w => $"{w.Face.SubjectId}/{w.Face.FaceId}").ToList();
            if (missing.Count > 0)
            {
                throw new RequestRejectedException(RejectionCode.EnrollmentPhotosMissing, null,
                    $"{missing.Count} of the {work.Count} faces not embedded by {target} have no stored enrollment photo " +
                    "(store_enrollment_photos was off when they were enrolled), so they cannot be re-embedded; nothing was changed. " +
                    $"Delete them (subject/face: {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", …" : string.Empty)}) " +
                    "and enroll those people again, or run the tenant on the recognizer they were enrolled with.");
            }

            var replaced = await EmbedAgainAsync(work.Select((w, i) => (w.Face, photos[i]!)).ToArray(), target, cancellationToken);
            foreach (var shard in work.Select((w, i) => (w.Shard, Face: replaced[i])).GroupBy(w => w.Shard))
            {
                await store.ReplaceEmbeddingsAsync(Tenant, shard.Key, shard.Select(w => w.Face).ToArray());
            }

            await Task.WhenAll(layout.AllShards.Select(s => Shard(s).Rebuild()));
        }

        _model = null;
        return new ReembedResult(target, work.Count, unchanged);
    }

    /// <summary>Each face's new embedding (its photo's most prominent face, as verification picks), or a refusal naming the face whose photo has none.</summary>
    private async Task<StoredFace[]> EmbedAgainAsync((StoredFace Face, byte[] Photo)[] faces, EmbeddingModel target, CancellationToken cancellationToken)
    {
        var replaced = new StoredFace[faces.Length];
        for (var start = 0; start < faces.Length; start += ReembedBatch)
        {
            var chunk = faces.AsSpan(start, Math.Min(ReembedBatch, faces.Length - start)).ToArray();
            var embedded = await TenantGrain.EmbedBatch(
                new ImageBatch(chunk.Select(f => new BatchImage(f.Face.FaceId, f.Photo)).ToArray()),
                new RequestOptions(DetectionMode: DetectionMode.Fast),
                cancellationToken);
            if (embedded.Recognizer != target)
            {
                // The tenant moved to a slice of another recognizer meanwhile: these embeddings are of neither space.
                throw ModelMismatch.Between(Tenant, target, embedded.Recognizer);
            }

            for (var i = 0; i < chunk.Length; i++)
            {
                var (face, _) = chunk[i];
                var image = embedded.Images[i];
                var best = image.Failure is { } failure ? throw failure
                    : image.Faces.MostProminent() ?? throw NoFace($"{face.SubjectId}/{face.FaceId}: its stored photo shows no face now; nothing was changed.");
                replaced[start + i] = face with { Embedding = best.Vector, Model = target };
            }
        }

        return replaced;
    }
}
