namespace FaceOrleans.Grains;

/// <summary>
/// Request latencies in fixed buckets: constant size however many requests a tenant makes, and enough for
/// p50/p95 to the nearest bucket bound.
/// </summary>
[GenerateSerializer, Alias("faceorleans.LatencyHistogram")]
public sealed class LatencyHistogram
{
    /// <summary>Upper bounds in milliseconds; a last bucket takes everything slower.</summary>
    public static readonly double[] BucketBounds = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    [Id(0)]
    public long[] Counts { get; set; } = new long[BucketBounds.Length + 1];

    [Id(1)]
    public double TotalMilliseconds { get; set; }

    [Id(2)]
    public double MaxMilliseconds { get; set; }

    public long Count => Counts.Sum();

    public void Record(double milliseconds)
    {
        var bucket = Array.FindIndex(BucketBounds, bound => milliseconds <= bound);
        Counts[bucket < 0 ? BucketBounds.Length : bucket]++;
        TotalMilliseconds += milliseconds;
        MaxMilliseconds = Math.Max(MaxMilliseconds, milliseconds);
    }

    /// <summary>The upper bound of the bucket holding the given quantile (the maximum for the open last bucket).</summary>
    public double Quantile(double quantile)
    {
        var count = Count;
        if (count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(quantile * count);
        long seen = 0;
        for (var i = 0; i < Counts.Length; i++)
        {
            seen += Counts[i];
            if (seen >= rank)
            {
                return i < BucketBounds.Length ? Math.Min(BucketBounds[i], MaxMilliseconds) : MaxMilliseconds;
            }
        }

        return MaxMilliseconds;
    }

    public LatencySummary Summary()
    {
        var count = Count;
        return new LatencySummary(count, count == 0 ? 0 : TotalMilliseconds / count, Quantile(0.5), Quantile(0.95), MaxMilliseconds);
    }
}
