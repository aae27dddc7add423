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
