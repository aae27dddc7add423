namespace FaceOrleans.Vision;

/// <summary>
/// Counts calls in progress and the most ever in progress at once. Every ONNX Runtime Run of one session
/// factory (one slice) passes through the same gauge, so it measures what the slice really did, whatever
/// scheduled the calls.
/// </summary>
public sealed class ConcurrencyGauge
{
    private int _current;
    private int _max;
    private long _entered;

    public int Current => Volatile.Read(ref _current);

    public int Max => Volatile.Read(ref _max);

    public long Entered => Interlocked.Read(ref _entered);

    public Scope Enter()
    {
        Interlocked.Increment(ref _entered);
        var now = Interlocked.Increment(ref _current);
        var max = Volatile.Read(ref _max);
        while (now > max)
        {
            var seen = Interlocked.CompareExchange(ref _max, now, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }

        return new Scope(this);
    }

    public readonly struct Scope(ConcurrencyGauge gauge) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref gauge._current);
    }
}
