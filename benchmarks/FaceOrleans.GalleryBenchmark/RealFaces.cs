using FaceOrleans.Vision;

namespace FaceOrleans.GalleryBenchmark;

/// <summary>
/// Real embeddings for the exactness check: every photo of the shared test set through the real pipeline
/// (RetinaFace, alignment, the 512-d recognizer; the most prominent face of each photo), then near-duplicates
/// made by adding small Gaussian noise. Near-duplicates of one face score within a few thousandths of each
/// other against a probe of that face, closer than the int8 approximation's error: where an approximate index
/// would get the order wrong, if anywhere.
/// </summary>
internal static class RealFaces
{
    /// <summary>Noise norms of the enrolled copies: cosine to the original about 0.999, 0.995, 0.98 and 0.955.</summary>
    private static readonly double[] CopyNoise = [0.05, 0.1, 0.2, 0.3];

    public static async Task<IReadOnlyList<(string Photo, float[] Embedding)>> EmbedAsync(string modelsDirectory, string facesDirectory)
    {
        using var sessions = new OnnxSessionFactory(ModelCatalog.Open(modelsDirectory), new InferenceOptions { Device = "cpu" });
        var pipeline = FacePipeline.Create(sessions);
        var embedded = new List<(string, float[])>();
        foreach (var photo in Directory.EnumerateFiles(facesDirectory, "*.jpg").Order(StringComparer.Ordinal))
        {
            var faces = (await pipeline.EmbedAsync([await File.ReadAllBytesAsync(photo)], pipeline.ModelDefaults))[0];
            var prominent = DetectedFace.MostProminent(faces.Select(f => f.Face).ToArray());
            if (prominent is not null)
            {
                embedded.Add((Path.GetFileName(photo), faces.First(f => ReferenceEquals(f.Face, prominent)).Embedding));
            }
        }

        return embedded;
    }

    /// <summary>Enrolled faces: <paramref name="copies"/> near-duplicates of each photo's face, each its own subject.</summary>
    public static IEnumerable<(string FaceId, string SubjectId, float[] Vector)> Copies(IReadOnlyList<(string Photo, float[] Embedding)> photos, int copies, Random random) =>
        photos.SelectMany((p, i) => Enumerable.Range(0, copies).Select(c =>
            ($"real{i}-{c}", $"real-{p.Photo}-{c}", Synthetic.NearDuplicate(random, p.Embedding, CopyNoise[c % CopyNoise.Length]))));

    /// <summary>Probes: each photo's own embedding and a noisy version of it.</summary>
    public static IEnumerable<float[]> Probes(IReadOnlyList<(string Photo, float[] Embedding)> photos, Random random) =>
        photos.SelectMany(p => new[] { p.Embedding, Synthetic.NearDuplicate(random, p.Embedding, 0.1) });
}
