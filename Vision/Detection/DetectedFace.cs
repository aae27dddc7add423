namespace FaceOrleans.Vision;

/// <summary>
/// One detected face. Landmarks are, in order: left eye, right eye, nose tip, left mouth corner,
/// right mouth corner (left and right as seen in the image).
/// </summary>
public sealed record DetectedFace(FaceBox Box, float Score, IReadOnlyList<FacePoint> Landmarks)
{
    public const int LandmarkCount = 5;

    /// <summary>Size, sharpness and pose, when the pipeline measured them (detect, embed); null straight from the detector.</summary>
    public FaceQuality? Quality { get; init; }

    public DetectedFace Scale(double factor) =>
        factor == 1.0 ? this : this with { Box = Box.Scale(factor), Landmarks = Landmarks.Select(p => p.Scale(factor)).ToArray() };

    /// <summary>This face moved by (<paramref name="dx"/>, <paramref name="dy"/>) pixels, as a face found in a crop is placed back in its image.</summary>
    public DetectedFace Offset(float dx, float dy) => this with
    {
        Box = new FaceBox(Box.Left + dx, Box.Top + dy, Box.Right + dx, Box.Bottom + dy),
        Landmarks = Landmarks.Select(p => new FacePoint(p.X + dx, p.Y + dy)).ToArray(),
    };

    /// <summary>
    /// The face a 1:1 comparison uses when a photo holds several: the largest box, because the person
    /// a photo is about is nearly always the one nearest the camera; the higher score breaks ties.
    /// </summary>
    public static DetectedFace? MostProminent(IReadOnlyList<DetectedFace> faces) => MostProminent(faces, f => f.Box, f => f.Score);

    /// <summary>The same rule for any face-carrying type, so every caller picks the same face.</summary>
    public static T? MostProminent<T>(IEnumerable<T> faces, Func<T, FaceBox> box, Func<T, float> score) =>
        faces.OrderByDescending(f => box(f).Area).ThenByDescending(score).FirstOrDefault();
}
