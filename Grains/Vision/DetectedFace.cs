namespace FaceOrleans.Vision;

public readonly record struct FacePoint(float X, float Y)
{
    public FacePoint Scale(double factor) => new((float)(X * factor), (float)(Y * factor));
}

public readonly record struct FaceBox(float Left, float Top, float Right, float Bottom)
{
    public float Width => Right - Left;

    public float Height => Bottom - Top;

    public float Area => Math.Max(0, Width) * Math.Max(0, Height);

    public FaceBox Scale(double factor) =>
        new((float)(Left * factor), (float)(Top * factor), (float)(Right * factor), (float)(Bottom * factor));

    public float IntersectionOverUnion(FaceBox other)
    {
        var width = Math.Min(Right, other.Right) - Math.Max(Left, other.Left);
        var height = Math.Min(Bottom, other.Bottom) - Math.Max(Top, other.Top);
        if (width <= 0 || height <= 0)
        {
            return 0;
        }

        var intersection = width * height;
        return intersection / (Area + other.Area - intersection);
    }
}

/// <summary>
/// One detected face. Landmarks are, in order: left eye, right eye, nose tip, left mouth corner,
/// right mouth corner (left and right as seen in the image).
/// </summary>
public sealed record DetectedFace(FaceBox Box, float Score, IReadOnlyList<FacePoint> Landmarks)
{
    public const int LandmarkCount = 5;

    public DetectedFace Scale(double factor) =>
        factor == 1.0 ? this : new DetectedFace(Box.Scale(factor), Score, Landmarks.Select(p => p.Scale(factor)).ToArray());

    /// <summary>
    /// The face a 1:1 comparison uses when a photo holds several: the largest box, because the person
    /// a photo is about is nearly always the one nearest the camera; the higher score breaks ties.
    /// </summary>
    public static DetectedFace? MostProminent(IReadOnlyList<DetectedFace> faces) => MostProminent(faces, f => f.Box, f => f.Score);

    /// <summary>The same rule for any face-carrying type, so every caller picks the same face.</summary>
    public static T? MostProminent<T>(IEnumerable<T> faces, Func<T, FaceBox> box, Func<T, float> score) =>
        faces.OrderByDescending(f => box(f).Area).ThenByDescending(score).FirstOrDefault();
}
