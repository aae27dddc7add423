namespace FaceOrleans.Vision;

/// <summary>A thread-safe <see cref="LatencyBuckets"/> counter for a scheduler's model-call and wait times.</summary>
public sealed class LatencySketch
{
    private readonly long[] _counts = new long[LatencyBuckets.Count];
    private long _total;
    private long _totalMicroseconds;
    private long _maxMicroseconds;

    public void Record(TimeSpan elapsed)
    {
        var milliseconds = elapsed.TotalMilliseconds;
        Interlocked.Increment(ref _counts[LatencyBuckets.IndexOf(milliseconds)]);
        Interlocked.Increment(ref _total);
        var micros = (long)(milliseconds * 1000);
        Interlocked.Add(ref _totalMicroseconds, micros);
        InterlockedMax.Raise(ref _maxMicroseconds, micros);
    }

    public LatencyQuantiles Snapshot()
    {
        var counts = new long[_counts.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = Interlocked.Read(ref _counts[i]);
        }

        var total = Interlocked.Read(ref _total);
        var max = Interlocked.Read(ref _maxMicroseconds) / 1000.0;
        return new LatencyQuantiles(
            total,
            total == 0 ? 0 : Interlocked.Read(ref _totalMicroseconds) / 1000.0 / total,
            LatencyBuckets.Quantile(counts, 0.5, max),
            LatencyBuckets.Quantile(counts, 0.95, max),
            LatencyBuckets.Quantile(counts, 0.99, max),
            max);
    }
}

/// <summary>Count, mean and quantiles in milliseconds.</summary>
public sealed record LatencyQuantiles(long Count, double Mean, double P50, double P95, double P99, double Max)
{
    public static readonly LatencyQuantiles Empty = new(0, 0, 0, 0, 0, 0);
}
