using System.Globalization;

namespace FaceOrleans.Vision;

/// <summary>One labelled pair: the two image file names and whether they show the same person.</summary>
public sealed record LabelledPair(string ImageA, string ImageB, bool SamePerson)
{
    /// <summary>Reads a CSV with the header <c>image_a,image_b,same_person</c> (same_person is 1 or 0).</summary>
    public static IReadOnlyList<LabelledPair> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();
        if (lines.Length == 0 || !lines[0].Trim().Equals("image_a,image_b,same_person", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"'{path}' must start with the header 'image_a,image_b,same_person'.");
        }

        return lines.Skip(1).Select((line, i) =>
        {
            var cells = line.Split(',', StringSplitOptions.TrimEntries);
            if (cells.Length != 3 || cells[2] is not ("0" or "1"))
            {
                throw new FormatException($"'{path}' line {i + 2}: expected image_a,image_b,0|1 but found '{line}'.");
            }

            return new LabelledPair(cells[0], cells[1], cells[2] == "1");
        }).ToArray();
    }
}

/// <summary>A pair's cosine similarity, or null when a face was not found in one of its images.</summary>
public sealed record ScoredPair(LabelledPair Pair, float? Similarity);

public sealed record CalibrationReport(
    string Recognizer,
    int Pairs,
    int SamePairs,
    int DifferentPairs,
    int PairsWithoutFace,
    IReadOnlyList<string> ImagesWithoutFace,
    float Threshold,
    double AccuracyAtThreshold,
    float BestThreshold,
    double BestAccuracy,
    double RocAuc,
    double TarAtFar1e3,
    float ThresholdAtFar1e3)
{
    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        return string.Join(Environment.NewLine,
            $"recognizer                 {Recognizer}",
            $"pairs                      {Pairs} ({SamePairs} same, {DifferentPairs} different)",
            $"pairs with no face found   {PairsWithoutFace}{(ImagesWithoutFace.Count > 0 ? $" ({string.Join(", ", ImagesWithoutFace)})" : string.Empty)}",
            string.Create(c, $"accuracy at threshold      {AccuracyAtThreshold:P2} (threshold {Threshold:0.000})"),
            string.Create(c, $"best threshold             {BestThreshold:0.000} (accuracy {BestAccuracy:P2})"),
            string.Create(c, $"ROC AUC                    {RocAuc:0.0000}"),
            string.Create(c, $"TAR at FAR 1e-3            {TarAtFar1e3:P2} (threshold {ThresholdAtFar1e3:0.000})"));
    }
}

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
        var distinct = scores.Select(s => s.Score).Where(s => s > -2f).Distinct().Order().ToArray();
        if (distinct.Length == 0)
        {
            return (0, 0);
        }

        var cuts = new List<float> { distinct[0] - 0.01f };
        for (var i = 0; i + 1 < distinct.Length; i++)
        {
            cuts.Add((distinct[i] + distinct[i + 1]) / 2);
        }

        cuts.Add(distinct[^1] + 0.01f);
        var accuracies = cuts.Select(c => Accuracy(scores, c)).ToArray();
        var max = accuracies.Max();
        int bestStart = 0, bestLength = 0;
        for (var i = 0; i < cuts.Count;)
        {
            if (accuracies[i] != max)
            {
                i++;
                continue;
            }

            var start = i;
            while (i < cuts.Count && accuracies[i] == max)
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

    /// <summary>Probability that a random same-person pair scores above a random different-person pair.</summary>
    public static double RocAuc(IReadOnlyList<float> positives, IReadOnlyList<float> negatives)
    {
        if (positives.Count == 0 || negatives.Count == 0)
        {
            return double.NaN;
        }

        double wins = 0;
        foreach (var p in positives)
        {
            foreach (var n in negatives)
            {
                wins += p > n ? 1 : p == n ? 0.5 : 0;
            }
        }

        return wins / ((double)positives.Count * negatives.Count);
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

/// <summary>
/// Runs the pipeline over a labelled pair list, embedding each distinct image once, the way compare does:
/// the most prominent face, detected at the prominent-face size first.
/// </summary>
public static class PairScorer
{
    public static async Task<(IReadOnlyList<ScoredPair> Scored, IReadOnlyList<string> ImagesWithoutFace)> ScoreAsync(
        FacePipeline pipeline, IReadOnlyList<LabelledPair> pairs, string imagesDirectory)
    {
        var names = pairs.SelectMany(p => new[] { p.ImageA, p.ImageB }).Distinct(StringComparer.Ordinal).ToArray();
        var embeddings = new Dictionary<string, float[]?>(StringComparer.Ordinal);
        const int chunk = 8;
        for (var start = 0; start < names.Length; start += chunk)
        {
            var batch = names.Skip(start).Take(chunk).ToArray();
            var bytes = batch.Select(n => File.ReadAllBytes(Path.Combine(imagesDirectory, n))).ToArray();
            var faces = await pipeline.EmbedAsync(bytes, new FaceOptions(ProminentFaceFirst: true));
            for (var i = 0; i < batch.Length; i++)
            {
                var chosen = DetectedFace.MostProminent(faces[i].Select(f => f.Face).ToArray());
                embeddings[batch[i]] = chosen is null ? null : faces[i].First(f => ReferenceEquals(f.Face, chosen)).Embedding;
            }
        }

        var scored = pairs.Select(p =>
        {
            var a = embeddings[p.ImageA];
            var b = embeddings[p.ImageB];
            return new ScoredPair(p, a is null || b is null ? null : FaceRecognizer.Similarity(a, b));
        }).ToArray();
        return (scored, embeddings.Where(e => e.Value is null).Select(e => e.Key).Order(StringComparer.Ordinal).ToArray());
    }
}
