using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>Warps a face to the standard 112x112 ArcFace/InsightFace five-point template.</summary>
public static class FaceAligner
{
    public const int TemplateSize = 112;

    public static readonly IReadOnlyList<FacePoint> Template112 =
    [
        new(38.2946f, 51.6963f),
        new(73.5318f, 51.5014f),
        new(56.0252f, 71.7366f),
        new(41.5493f, 92.3655f),
        new(70.7299f, 92.2041f),
    ];

    /// <summary>The template scaled to a recognizer whose input is not 112x112 (the points scale with the crop).</summary>
    public static IReadOnlyList<FacePoint> TemplateFor(int width, int height) =>
        width == TemplateSize && height == TemplateSize
            ? Template112
            : Template112.Select(p => new FacePoint(p.X * width / TemplateSize, p.Y * height / TemplateSize)).ToArray();

    public static SimilarityTransform TransformFor(IReadOnlyList<FacePoint> landmarks, int width = TemplateSize, int height = TemplateSize) =>
        SimilarityTransform.Estimate(landmarks, TemplateFor(width, height));

    /// <summary>Returns a new BGR crop of the given size, bilinear-sampled; the caller disposes it.</summary>
    public static Mat Align(Mat bgr, IReadOnlyList<FacePoint> landmarks, int width = TemplateSize, int height = TemplateSize)
    {
        var t = TransformFor(landmarks, width, height);
        using var matrix = new Mat(2, 3, MatType.CV_64FC1);
        matrix.Set(0, 0, t.A);
        matrix.Set(0, 1, -t.B);
        matrix.Set(0, 2, t.TranslateX);
        matrix.Set(1, 0, t.B);
        matrix.Set(1, 1, t.A);
        matrix.Set(1, 2, t.TranslateY);
        var aligned = new Mat();
        Cv2.WarpAffine(bgr, aligned, matrix, new Size(width, height), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(0));
        return aligned;
    }
}
