using FaceOrleans.Vision;

namespace FaceOrleans.Grains;

/// <summary>Maps the Orleans-free pipeline's face types to the serialisable contracts.</summary>
internal static class FaceContractMapping
{
    /// <param name="limits">The tenant's enrollment limits, to judge the face's measured quality by (when it has one).</param>
    public static FaceInfo ToContract(this DetectedFace face, QualityLimits? limits = null) => new(
        new FaceBounds(face.Box.Left, face.Box.Top, face.Box.Right, face.Box.Bottom),
        face.Score,
        face.Landmarks.Select(p => new Point2(p.X, p.Y)).ToArray(),
        face.Quality is { } quality && limits is not null
            ? new FaceQualityInfo(quality.InterEyeDistance, quality.Sharpness, quality.Yaw, quality.Pitch, limits.Problems(quality))
            : null);

    public static FaceInfo[] ToContract(this IEnumerable<DetectedFace> faces, QualityLimits? limits = null) =>
        faces.Select(f => f.ToContract(limits)).ToArray();

    public static FaceEmbedding[] ToContract(this IEnumerable<EmbeddedFace> faces, QualityLimits? limits = null) =>
        faces.Select(f => new FaceEmbedding(f.Face.ToContract(limits), f.Embedding)).ToArray();

    public static FaceBox ToBox(this FaceBounds box) => new(box.Left, box.Top, box.Right, box.Bottom);

    /// <summary><see cref="DetectedFace.MostProminent(IReadOnlyList{DetectedFace})"/>'s rule on embedded faces.</summary>
    public static FaceEmbedding? MostProminent(this IEnumerable<FaceEmbedding> faces) =>
        DetectedFace.MostProminent(faces, f => f.Face.Box.ToBox(), f => f.Face.Score);

    extension(EmbeddingModel)
    {
        /// <summary>The identity of a manifest recognizer (the contract knows no manifest: Vision's types stay out of it).</summary>
        public static EmbeddingModel Of(ModelSpec recognizer) => new(
            recognizer.Name,
            recognizer.Sha256[..Math.Min(EmbeddingModel.VersionLength, recognizer.Sha256.Length)].ToLowerInvariant(),
            recognizer.Recognizer?.EmbeddingSize ?? throw new ArgumentException($"'{recognizer.Name}' is not a recognizer.", nameof(recognizer)));
    }

    extension(LatencySummary)
    {
        /// <summary>A slice scheduler's latency quantiles as the wire carries them.</summary>
        public static LatencySummary From(LatencyQuantiles quantiles) =>
            new(quantiles.Count, quantiles.Mean, quantiles.P50, quantiles.P95, quantiles.Max) { P99Milliseconds = quantiles.P99 };
    }
}
