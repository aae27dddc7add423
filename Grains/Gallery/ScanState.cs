using System.Numerics.Tensors;

namespace FaceOrleans.Grains.Gallery;

/// <summary>One worker's view of one query: its k best subject lower bounds and its short list so far.</summary>
internal sealed class ScanState(int topK)
{
    private readonly int[] _subjects = new int[topK];
    private readonly float[] _lowers = new float[topK];
    private int _filled;
    private int _pruneAt = 1024;

    /// <summary>The k-th best lower bound of distinct subjects; faces with an upper bound below it cannot matter.</summary>
    public float Threshold { get; private set; } = float.NegativeInfinity;

    public List<(int Row, float Upper)> Candidates { get; } = [];

    public IEnumerable<(int Subject, float Lower)> LowerBounds => Enumerable.Range(0, _filled).Select(i => (_subjects[i], _lowers[i]));

    public void Accept(int row, float upper, float lower, int subject)
    {
        Candidates.Add((row, upper));
        if (lower > Threshold)
        {
            Offer(subject, lower);
        }

        if (Candidates.Count >= _pruneAt)
        {
            var threshold = Threshold;
            Candidates.RemoveAll(c => c.Upper < threshold);
            _pruneAt = Math.Max(1024, Candidates.Count * 2);
        }
    }

    private void Offer(int subject, float lower)
    {
        var slot = Array.IndexOf(_subjects, subject, 0, _filled);
        if (slot < 0)
        {
            if (_filled < _subjects.Length)
            {
                slot = _filled++;
            }
            else
            {
                // Full: the new subject displaces the weakest, whose bound is the threshold it just beat.
                slot = Array.IndexOf(_lowers, Threshold, 0, _filled);
            }

            _subjects[slot] = subject;
            _lowers[slot] = lower;
        }
        else if (lower > _lowers[slot])
        {
            _lowers[slot] = lower;
        }

        if (_filled == _subjects.Length)
        {
            Threshold = TensorPrimitives.Min<float>(_lowers.AsSpan(0, _filled));
        }
    }

    /// <summary>The k-th largest of the best bound per subject, or −∞ when fewer than k subjects are known.</summary>
    public static float KthBestOfSubjects(IEnumerable<(int Subject, float Lower)> bounds, int topK)
    {
        var best = new Dictionary<int, float>();
        foreach (var (subject, lower) in bounds)
        {
            best[subject] = best.TryGetValue(subject, out var current) ? Math.Max(current, lower) : lower;
        }

        return KthLargest(best.Values, topK);
    }

    public static float KthLargest(IEnumerable<float> values, int k)
    {
        var sorted = values.ToArray();
        if (sorted.Length < k)
        {
            return float.NegativeInfinity;
        }

        Array.Sort(sorted);
        return sorted[^k];
    }
}
