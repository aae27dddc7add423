namespace FaceOrleans.Vision;

/// <summary>
/// Counts calls in progress and the most ever in progress at once. Every ONNX Runtime Run of one session
/// factory (one slice) passes through the same gauge, so it measures what the slice really did, whatever
/// scheduled the calls; <see cref="CpuWork.InProcess"/> counts the process's CPU-bound pipeline work the same way.
/// </summary>
public sealed class ConcurrencyGauge
{
    private int _current;
    private long _max;
    private long _entered;
    private long _items;

    public int Max => (int)Interlocked.Read(ref _max);

    /// <summary>Calls in progress now.</summary>
    public int Current => Volatile.Read(ref _current);

    public long Entered => Interlocked.Read(ref _entered);

    /// <summary>Images or faces passed in across all calls; divided by <see cref="Entered"/> it is the mean batch size.</summary>
    public long Items => Interlocked.Read(ref _items);

    public Scope Enter(int items = 1)
    {
        Interlocked.Increment(ref _entered);
        Interlocked.Add(ref _items, items);
        var now = Interlocked.Increment(ref _current);
        InterlockedMax.Raise(ref _max, now);

        return new Scope(this);
    }

    public readonly struct Scope(ConcurrencyGauge gauge) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref gauge._current);
    }
}
