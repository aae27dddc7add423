using FaceOrleans.Vision;

namespace FaceOrleans.Grains;

/// <summary>Maps the Orleans-free pipeline's types to the serialisable contracts.</summary>
internal static class FaceContractMapping
{
    public static FaceInfo ToContract(this DetectedFace face) => new(
        new FaceBounds(face.Box.Left, face.Box.Top, face.Box.Right, face.Box.Bottom),
        face.Score,
        face.Landmarks.Select(p => new Point2(p.X, p.Y)).ToArray());

    public static FaceInfo[] ToContract(this IEnumerable<DetectedFace> faces) => faces.Select(ToContract).ToArray();

    public static FaceBox ToBox(this FaceBounds box) => new(box.Left, box.Top, box.Right, box.Bottom);

    /// <summary><see cref="DetectedFace.MostProminent(IReadOnlyList{DetectedFace})"/>'s rule on embedded faces.</summary>
    public static FaceEmbedding? MostProminent(this IEnumerable<FaceEmbedding> faces) =>
        DetectedFace.MostProminent(faces, f => f.Face.Box.ToBox(), f => f.Face.Score);

    public static FaceOptions ToFaceOptions(float? similarityThreshold, float? detectionThreshold, long? maxImagePixels, bool prominentFaceFirst = false) => new(
        similarityThreshold,
        detectionThreshold,
        maxImagePixels is { } pixels ? ImageLimits.Default with { MaxPixels = pixels } : null,
        prominentFaceFirst);

    /// <summary>Stable reason codes clients can switch on; the API maps each to a problem type.</summary>
    public static ImageRejectedException ToContract(this FaceInputException ex) => new(
        ex.Error switch
        {
            FaceInputError.Empty => "empty",
            FaceInputError.NotAnImage => "not_an_image",
            FaceInputError.Corrupt => "corrupt",
            FaceInputError.TooLarge => "too_large",
            FaceInputError.TooSmall => "too_small",
            _ => "invalid_image",
        },
        ex.Message);
}
