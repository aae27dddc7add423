using FaceOrleans.Vision;

namespace FaceOrleans.Grains;

/// <summary>Maps the Orleans-free pipeline's face types to the serialisable contracts.</summary>
internal static class FaceContractMapping
{
    public static FaceInfo ToContract(this DetectedFace face) => new(
        new FaceBounds(face.Box.Left, face.Box.Top, face.Box.Right, face.Box.Bottom),
        face.Score,
        face.Landmarks.Select(p => new Point2(p.X, p.Y)).ToArray());

    public static FaceInfo[] ToContract(this IEnumerable<DetectedFace> faces) => faces.Select(ToContract).ToArray();

    public static FaceEmbedding[] ToContract(this IEnumerable<EmbeddedFace> faces) =>
        faces.Select(f => new FaceEmbedding(f.Face.ToContract(), f.Embedding)).ToArray();

    public static FaceBox ToBox(this FaceBounds box) => new(box.Left, box.Top, box.Right, box.Bottom);

    /// <summary><see cref="DetectedFace.MostProminent(IReadOnlyList{DetectedFace})"/>'s rule on embedded faces.</summary>
    public static FaceEmbedding? MostProminent(this IEnumerable<FaceEmbedding> faces) =>
        DetectedFace.MostProminent(faces, f => f.Face.Box.ToBox(), f => f.Face.Score);
}
