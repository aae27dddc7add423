namespace FaceOrleans.Vision;

/// <summary>
/// Log-spaced latency buckets, each 5 % wider than the last, from 0.1 ms to over 10 minutes (about 330 counts):
/// constant memory however many samples, and quantiles read to within a few percent by interpolating inside the
/// bucket that holds them, instead of to the nearest of a dozen coarse bounds.
/// </summary>
public static class LatencyBuckets
{
    private const double Smallest = 0.1;
    private const double Growth = 1.05;
    private static readonly double LogGrowth = Math.Log(Growth);

    /// <summary>Bucket 0 holds everything up to 0.1 ms; bucket i holds (0.1·1.05^(i-1), 0.1·1.05^i]; the last, the rest.</summary>
    public const int Count = 330;

    public static int IndexOf(double milliseconds) =>
        milliseconds <= Smallest ? 0 : Math.Min(Count - 1, (int)Math.Ceiling(Math.Log(milliseconds / Smallest) / LogGrowth));

    public static double UpperBound(int index) => Smallest * Math.Pow(Growth, index);

    public static double LowerBound(int index) => index == 0 ? 0 : UpperBound(index - 1);

    /// <summary>
    /// The quantile of the samples counted in <paramref name="counts"/>, interpolated linearly within its bucket and
    /// never above the largest sample seen.
    /// </summary>
    public static double Quantile(ReadOnlySpan<long> counts, double quantile, double maxMilliseconds)
    {
        long total = 0;
        foreach (var count in counts)
        {
            total += count;
        }

        if (total == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, quantile * total);
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] == 0)
            {
                continue;
            }

            if (seen + counts[i] >= rank)
            {
                var within = (rank - seen) / counts[i];
                var value = LowerBound(i) + (within * (UpperBound(i) - LowerBound(i)));
                return Math.Min(value, maxMilliseconds);
            }

            seen += counts[i];
        }

        return maxMilliseconds;
    }
}
