using FaceOrleans.Vision;

namespace FaceOrleans.Grains;

/// <summary>
/// A tenant's request latencies in <see cref="LatencyBuckets"/> (5 %-wide, interpolated): constant size however many
/// requests a tenant makes, with p50/p95/p99 to within a few percent.
/// </summary>
[GenerateSerializer, Alias("faceorleans.LatencyHistogram")]
public sealed class LatencyHistogram
{
    /// <summary>The upper bounds of the coarse buckets state stored before the fine ones used (<see cref="LegacyCounts"/>).</summary>
    private static readonly double[] LegacyBounds = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    /// <summary>
    /// Counts in the eleven coarse buckets that tenant state stored before; read so old state keeps its history, and
    /// moved into <see cref="Counts"/> (each at its bucket's bound, which is all it recorded) the first time it is used.
    /// </summary>
    [Id(0)]
    public long[] LegacyCounts { get; set; } = [];

    [Id(1)]
    public double TotalMilliseconds { get; set; }

    [Id(2)]
    public double MaxMilliseconds { get; set; }

    [Id(3)]
    public long[] Counts { get; set; } = new long[LatencyBuckets.Count];

    public long Count => (LegacyCounts?.Sum() ?? 0) + (Counts?.Sum() ?? 0);

    public void Record(double milliseconds)
    {
        MoveLegacyCounts();
        Counts[LatencyBuckets.IndexOf(milliseconds)]++;
        TotalMilliseconds += milliseconds;
        MaxMilliseconds = Math.Max(MaxMilliseconds, milliseconds);
    }

    public double Quantile(double quantile)
    {
        MoveLegacyCounts();
        return LatencyBuckets.Quantile(Counts, quantile, MaxMilliseconds);
    }

    public LatencySummary Summary()
    {
        var count = Count;
        return new LatencySummary(count, count == 0 ? 0 : TotalMilliseconds / count, Quantile(0.5), Quantile(0.95), MaxMilliseconds)
        {
            P99Milliseconds = Quantile(0.99),
        };
    }

    private void MoveLegacyCounts()
    {
        if (Counts is null || Counts.Length != LatencyBuckets.Count)
        {
            var counts = new long[LatencyBuckets.Count];
            Counts?.AsSpan(0, Math.Min(Counts.Length, counts.Length)).CopyTo(counts);
            Counts = counts;
        }

        LegacyCounts ??= [];

        for (var i = 0; i < LegacyCounts.Length; i++)
        {
            var bound = i < LegacyBounds.Length ? Math.Min(LegacyBounds[i], MaxMilliseconds) : MaxMilliseconds;
            Counts[LatencyBuckets.IndexOf(bound)] += LegacyCounts[i];
        }

        LegacyCounts = [];
    }
}
