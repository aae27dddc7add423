namespace FaceOrleans.Vision;

/// <summary>Threshold statistics over scored pairs. A pair whose face was not found counts as "different".</summary>
public static class Calibration
{
    public static CalibrationReport Evaluate(string recognizer, IReadOnlyList<ScoredPair> scored, float threshold, IReadOnlyList<string> imagesWithoutFace)
    {
        // A missing face can never be accepted, so it scores below any cosine.
        var scores = scored.Select(s => (Score: s.Similarity ?? -2f, s.Pair.SamePerson)).ToArray();
        var positives = scores.Where(s => s.SamePerson).Select(s => s.Score).ToArray();
        var negatives = scores.Where(s => !s.SamePerson).Select(s => s.Score).ToArray();
        var (best, bestAccuracy) = BestThreshold(scores);
        var (farThreshold, tar) = TarAtFar(positives, negatives, 1e-3);
        return new CalibrationReport(
            recognizer,
            scored.Count,
            positives.Length,
            negatives.Length,
            scored.Count(s => s.Similarity is null),
            imagesWithoutFace,
            threshold,
            Accuracy(scores, threshold),
            best,
            bestAccuracy,
            RocAuc(positives, negatives),
            tar,
            farThreshold);
    }

    public static double Accuracy(IReadOnlyList<(float Score, bool SamePerson)> scores, float threshold) =>
        scores.Count == 0 ? 0 : (double)scores.Count(s => (s.Score >= threshold) == s.SamePerson) / scores.Count;

    /// <summary>
    /// The threshold of highest accuracy. Of all cut points that reach it, take the middle of the widest
    /// run, so the chosen value has the most margin on both sides rather than sitting on one pair's score.
    /// </summary>
    public static (float Threshold, double Accuracy) BestThreshold(IReadOnlyList<(float Score, bool SamePerson)> scores)
    {
        var cuts = CutPoints(scores.Select(s => s.Score));
        return cuts.Count == 0 ? (0, 0) : MiddleOfWidestBest(cuts, cuts.Select(c => Accuracy(scores, c)).ToArray());
    }

    /// <summary>Every threshold that separates the scores differently: midpoints between neighbours and one beyond each end.</summary>
    public static IReadOnlyList<float> CutPoints(IEnumerable<float> scores)
    {
        // -2 marks a pair without a face, which no threshold accepts.
        var distinct = scores.Where(s => s > -2f).Distinct().Order().ToArray();
        if (distinct.Length == 0)
        {
            return [];
        }

        var cuts = new List<float> { distinct[0] - 0.01f };
        for (var i = 0; i + 1 < distinct.Length; i++)
        {
            cuts.Add((distinct[i] + distinct[i + 1]) / 2);
        }

        cuts.Add(distinct[^1] + 0.01f);
        return cuts;
    }

    /// <summary>
    /// Of ascending cut points and the value each reaches, the middle of the widest run of cuts reaching the maximum,
    /// with that maximum.
    /// </summary>
    public static (float Threshold, double Value) MiddleOfWidestBest(IReadOnlyList<float> cuts, IReadOnlyList<double> values)
    {
        var max = values.Max();
        int bestStart = 0, bestLength = 0;
        for (var i = 0; i < cuts.Count;)
        {
            if (values[i] != max)
            {
                i++;
                continue;
            }

            var start = i;
            while (i < cuts.Count && values[i] == max)
            {
                i++;
            }

            if (cuts[i - 1] - cuts[start] >= (bestLength == 0 ? -1 : cuts[bestStart + bestLength - 1] - cuts[bestStart]))
            {
                (bestStart, bestLength) = (start, i - start);
            }
        }

        return ((cuts[bestStart] + cuts[bestStart + bestLength - 1]) / 2, max);
    }

    /// <summary>
    /// Probability that a random same-person pair scores above a random different-person pair (a tie counts half).
    /// One sort and a binary search per positive, so a gallery's hundreds of thousands of pairs take milliseconds.
    /// </summary>
    public static double RocAuc(IReadOnlyList<float> positives, IReadOnlyList<float> negatives)
    {
        if (positives.Count == 0 || negatives.Count == 0)
        {
            return double.NaN;
        }

        var sorted = negatives.Order().ToArray();
        double wins = 0;
        foreach (var p in positives)
        {
            var below = FirstAtOrAbove(sorted, p);
            var equal = FirstAbove(sorted, p) - below;
            wins += below + (0.5 * equal);
        }

        return wins / ((double)positives.Count * negatives.Count);
    }

    /// <summary>The index of the first score at or above <paramref name="value"/> in ascending <paramref name="sorted"/>.</summary>
    public static int FirstAtOrAbove(float[] sorted, float value)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (sorted[mid] < value)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private static int FirstAbove(float[] sorted, float value)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (sorted[mid] <= value)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    /// <summary>
    /// True accept rate at the lowest threshold whose false accept rate is at most <paramref name="far"/>.
    /// With fewer than 1/far different-person pairs this means no false accept at all.
    /// </summary>
    public static (float Threshold, double Tar) TarAtFar(IReadOnlyList<float> positives, IReadOnlyList<float> negatives, double far)
    {
        if (positives.Count == 0 || negatives.Count == 0)
        {
            return (float.NaN, double.NaN);
        }

        var allowed = (int)Math.Floor(far * negatives.Count);
        var descending = negatives.OrderDescending().ToArray();
        // Accept strictly above the first negative that must be rejected.
        var threshold = BitIncrement(descending[Math.Min(allowed, descending.Length - 1)]);
        return (threshold, (double)positives.Count(p => p >= threshold) / positives.Count);
    }

    private static float BitIncrement(float value) => MathF.BitIncrement(value);
}
