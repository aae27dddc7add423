using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>A 2-D similarity transform (rotation, uniform scale, translation): x' = a·x − b·y + tx, y' = b·x + a·y + ty.</summary>
public readonly record struct SimilarityTransform(double A, double B, double TranslateX, double TranslateY)
{
    public double Scale => Math.Sqrt((A * A) + (B * B));

    public double RotationRadians => Math.Atan2(B, A);

    public FacePoint Apply(FacePoint p) =>
        new((float)((A * p.X) - (B * p.Y) + TranslateX), (float)((B * p.X) + (A * p.Y) + TranslateY));

    /// <summary>
    /// Least-squares similarity from <paramref name="source"/> to <paramref name="target"/> (Umeyama 1991
    /// restricted to 2-D without reflection, which has this closed form).
    /// </summary>
    public static SimilarityTransform Estimate(IReadOnlyList<FacePoint> source, IReadOnlyList<FacePoint> target)
    {
        if (source.Count != target.Count || source.Count < 2)
        {
            throw new ArgumentException("Need at least two corresponding points.", nameof(source));
        }

        double sourceX = source.Average(p => p.X), sourceY = source.Average(p => p.Y);
        double targetX = target.Average(p => p.X), targetY = target.Average(p => p.Y);
        double dot = 0, cross = 0, norm = 0;
        for (var i = 0; i < source.Count; i++)
        {
            double sx = source[i].X - sourceX, sy = source[i].Y - sourceY;
            double tx = target[i].X - targetX, ty = target[i].Y - targetY;
            dot += (sx * tx) + (sy * ty);
            cross += (sx * ty) - (sy * tx);
            norm += (sx * sx) + (sy * sy);
        }

        if (norm < 1e-12)
        {
            throw new ArgumentException("The source points coincide.", nameof(source));
        }

        double a = dot / norm, b = cross / norm;
        return new SimilarityTransform(a, b, targetX - ((a * sourceX) - (b * sourceY)), targetY - ((b * sourceX) + (a * sourceY)));
    }
}

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
