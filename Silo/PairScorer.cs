using FaceOrleans.Vision;

namespace FaceOrleans.Silo;

/// <summary>
/// The calibrate command's scoring: runs the pipeline over a labelled pair list, embedding each distinct image once, the way
/// compare does: the most prominent face, detected at the prominent-face size first.
/// </summary>
public static class PairScorer
{
    public static async Task<(IReadOnlyList<ScoredPair> Scored, IReadOnlyList<string> ImagesWithoutFace)> ScoreAsync(
        FacePipeline pipeline, IReadOnlyList<LabelledPair> pairs, string imagesDirectory, FaceOptions? options = null)
    {
        var names = pairs.SelectMany(p => new[] { p.ImageA, p.ImageB }).Distinct(StringComparer.Ordinal).ToArray();
        var embeddings = new Dictionary<string, float[]?>(StringComparer.Ordinal);
        const int chunk = 8;
        for (var start = 0; start < names.Length; start += chunk)
        {
            var batch = names.Skip(start).Take(chunk).ToArray();
            var bytes = batch.Select(n => File.ReadAllBytes(Path.Combine(imagesDirectory, n))).ToArray();
            var faces = await pipeline.EmbedAsync(bytes, options ?? pipeline.ModelDefaults, prominentFaceFirst: true);
            for (var i = 0; i < batch.Length; i++)
            {
                var chosen = DetectedFace.MostProminent(faces[i].Select(f => f.Face).ToArray());
                embeddings[batch[i]] = chosen is null ? null : faces[i].First(f => ReferenceEquals(f.Face, chosen)).Embedding;
            }
        }

        var scored = pairs.Select(p =>
        {
            var a = embeddings[p.ImageA];
            var b = embeddings[p.ImageB];
            return new ScoredPair(p, a is null || b is null ? null : FaceRecognizer.Similarity(a, b));
        }).ToArray();
        return (scored, embeddings.Where(e => e.Value is null).Select(e => e.Key).Order(StringComparer.Ordinal).ToArray());
    }
}
