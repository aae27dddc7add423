namespace FaceOrleans.Vision;

/// <summary>A lock-free running maximum: the gauges and sketches that many threads record into at once share it.</summary>
internal static class InterlockedMax
{
    /// <summary>Raises <paramref name="location"/> to <paramref name="value"/> unless another thread already put a larger value there.</summary>
    public static void Raise(ref long location, long value)
    {
        var current = Interlocked.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
