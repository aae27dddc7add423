namespace FaceOrleans.Vision;

/// <summary>Result of a 1:1 comparison. <see cref="Similarity"/> is null when <see cref="MissingFaceIn"/> names an image without a face.</summary>
public sealed record FaceComparison(
    float? Similarity,
    bool IsSamePerson,
    float Threshold,
    string Message,
    IReadOnlyList<DetectedFace> Faces1,
    IReadOnlyList<DetectedFace> Faces2,
    string? MissingFaceIn);
