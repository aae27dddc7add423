using OpenCvSharp;

namespace FaceOrleans.Vision.Evaluation;

/// <summary>The clean photo and its degraded copies, with the face the pipeline found in each (null when none).</summary>
public sealed class PhotoProbes(string photo, IReadOnlyList<(CaptureCondition Condition, Mat Bgr, DetectedFace? Face)> copies) : IDisposable
{
    public string Photo { get; } = photo;

    /// <summary>In the order of the conditions asked for; the clean photo first.</summary>
    public IReadOnlyList<(CaptureCondition Condition, Mat Bgr, DetectedFace? Face)> Copies { get; } = copies;

    public void Dispose()
    {
        foreach (var copy in Copies)
        {
            copy.Bgr.Dispose();
        }
    }
}

/// <summary>Runs the real pipeline over every photo in every capture condition and forms every pair.</summary>
public static class ConditionEvaluator
{
    /// <summary>
    /// Decodes a photo as an upload is decoded, finds its most prominent face, and makes each degraded copy
    /// relative to that face; then finds the face again in every copy, as the service would.
    /// </summary>
    public static PhotoProbes Probe(FacePipeline pipeline, string imagesDirectory, string photo, IReadOnlyList<CaptureCondition> conditions)
    {
        using var decoded = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(imagesDirectory, photo)), ImageLimits.Default);
        var threshold = pipeline.Detector.DefaultScoreThreshold;
        var cleanFace = DetectedFace.MostProminent(pipeline.Detector.Detect([decoded.Bgr], threshold)[0]);
        var copies = new List<(CaptureCondition Condition, Mat Bgr, DetectedFace? Face)> { (CaptureCondition.Clean, decoded.Bgr.Clone(), cleanFace) };
        try
        {
            if (cleanFace is null)
            {
                // Nothing to degrade relative to: the photo has no face in any condition.
                copies.AddRange(conditions.Where(c => !c.IsClean).Select(c => (c, decoded.Bgr.Clone(), (DetectedFace?)null)));
                return new PhotoProbes(photo, copies);
            }

            var degraded = conditions.Where(c => !c.IsClean)
                .Select(c => (Condition: c, PhotoDegrader.Apply(decoded.Bgr, cleanFace.Landmarks[0], cleanFace.Landmarks[1], c, PhotoDegrader.SeedFor(photo, c)).Bgr))
                .ToArray();
            copies.AddRange(degraded.Select(d => (d.Condition, d.Bgr, (DetectedFace?)null)));
            var found = degraded.Length == 0 ? [] : pipeline.Detector.Detect(degraded.Select(d => d.Bgr).ToArray(), threshold);
            for (var k = 0; k < found.Count; k++)
            {
                copies[k + 1] = (degraded[k].Condition, degraded[k].Bgr, DetectedFace.MostProminent(found[k]));
            }

            return new PhotoProbes(photo, copies);
        }
        catch
        {
            new PhotoProbes(photo, copies).Dispose();
            throw;
        }
    }

    /// <summary>Every pair in every condition; each photo is decoded once and each copy embedded once.</summary>
    public static async Task<IReadOnlyList<ConditionScores>> ScoreAsync(
        FacePipeline pipeline, PhotoIdentities identities, string imagesDirectory, IReadOnlyList<CaptureCondition> conditions,
        CancellationToken cancellationToken = default)
    {
        var asked = conditions.Where(c => !c.IsClean).Distinct().Prepend(CaptureCondition.Clean).ToArray();
        var photos = identities.Photos;
        // embeddings[condition][photo]; condition 0 is clean, which is also every pair's gallery side.
        var embeddings = asked.Select(_ => new float[]?[photos.Count]).ToArray();
        for (var p = 0; p < photos.Count; p++)
        {
            using var probes = Probe(pipeline, imagesDirectory, photos[p], asked);
            var withFace = Enumerable.Range(0, asked.Length).Where(c => probes.Copies[c].Face is not null).ToArray();
            var vectors = await pipeline.EmbedFacesAsync(withFace.Select(c => (probes.Copies[c].Bgr, probes.Copies[c].Face!)).ToArray(), cancellationToken);
            for (var k = 0; k < withFace.Length; k++)
            {
                embeddings[withFace[k]][p] = vectors[k];
            }
        }

        return asked.Select((condition, c) => Pairs(condition, identities, embeddings[0], embeddings[c])).ToArray();
    }

    private static ConditionScores Pairs(CaptureCondition condition, PhotoIdentities identities, float[]?[] gallery, float[]?[] probes)
    {
        var photos = identities.Photos;
        List<float> same = [], different = [];
        for (var g = 0; g < photos.Count; g++)
        {
            // A clean probe is the gallery photo itself, so each unordered pair counts once.
            for (var p = condition.IsClean ? g + 1 : 0; p < photos.Count; p++)
            {
                if (p == g)
                {
                    continue;
                }

                var score = gallery[g] is { } a && probes[p] is { } b ? FaceRecognizer.Similarity(a, b) : -2f;
                (identities.PersonOf(photos[g]) == identities.PersonOf(photos[p]) ? same : different).Add(score);
            }
        }

        var withoutFace = photos.Where((_, p) => probes[p] is null).ToArray();
        return new ConditionScores(condition, same, different, withoutFace);
    }
}
