namespace FaceOrleans.Vision;

/// <summary>The spread of one kind of score.</summary>
public sealed record ScoreSummary(int Count, double Mean, double StandardDeviation, float Min, float P05, float Median, float P95, float Max)
{
    public static ScoreSummary Of(IReadOnlyList<float> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0)
        {
            return new ScoreSummary(0, double.NaN, double.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN);
        }

        var sorted = scores.Order().ToArray();
        var mean = sorted.Average(s => (double)s);
        var deviation = Math.Sqrt(sorted.Sum(s => (s - mean) * (s - mean)) / sorted.Length);
        float At(double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
        return new ScoreSummary(sorted.Length, mean, deviation, sorted[0], At(0.05), At(0.5), At(0.95), sorted[^1]);
    }
}

/// <summary>What a threshold does on the gallery's pairs: false accepts among impostor pairs, false rejects among genuine ones.</summary>
public sealed record ThresholdRates(float Threshold, double FalseAcceptRate, double FalseRejectRate, double Accuracy);

/// <summary>
/// A tenant's own gallery as calibration data: genuine pairs (two faces of one subject) and impostor pairs (faces of
/// two subjects), with the thresholds they suggest and how far to trust them. Accuracy is balanced,
/// 1 − (FAR + FRR) / 2, as in the condition study.
/// </summary>
public sealed record GalleryCalibrationReport(
    int Subjects,
    int SubjectsWithSeveralFaces,
    int Faces,
    long GenuinePairsTotal,
    long ImpostorPairsTotal,
    bool Sampled,
    ScoreSummary Genuine,
    ScoreSummary Impostor,
    double RocAuc,
    double Far,
    ThresholdRates? AtFar,
    ThresholdRates? BestAccuracy,
    IReadOnlyList<ThresholdRates> AtThresholds,
    IReadOnlyList<string> Warnings);

/// <summary>
/// Calibration from enrolled embeddings, on <see cref="Calibration"/>'s and <see cref="ConditionCalibration"/>'s
/// maths: the threshold at a false accept rate is <see cref="Calibration.TarAtFar"/>'s, the accuracy-maximising one
/// is <see cref="ConditionCalibration.MaxMin"/> over one condition (the middle of the widest band of best balanced
/// accuracy). Every genuine and impostor pair is scored up to <c>maxPairs</c> of each kind; past that, pairs are
/// drawn at random with a fixed seed, so the same gallery always gives the same answer.
/// </summary>
public static class GalleryCalibration
{
    /// <summary>Fewer subjects than this and the impostor side rests on too few pairs of people.</summary>
    public const int MinSubjects = 10;

    /// <summary>Fewer subjects with two or more faces than this and the genuine side rests on too few people.</summary>
    public const int MinSubjectsWithSeveralFaces = 10;

    /// <summary>The threshold at a FAR rests on far × impostor pairs above it; fewer than this and one pair moves it.</summary>
    public const int MinImpostorPairsAboveFarThreshold = 10;

    private const int Seed = 20261125;

    private static readonly CaptureCondition Gallery = new("gallery");

    /// <param name="faces">The gallery's faces (any order; they are sorted first).</param>
    /// <param name="far">The false accept rate to find the threshold for.</param>
    /// <param name="thresholds">Thresholds to report the rates at (the tenant's current 1:1 and 1:N).</param>
    /// <param name="maxPairs">The most genuine pairs, and the most impostor pairs, to score.</param>
    public static GalleryCalibrationReport Evaluate(IReadOnlyList<LabelledEmbedding> faces, double far, IReadOnlyList<float> thresholds, int maxPairs)
    {
        ArgumentNullException.ThrowIfNull(faces);
        ArgumentNullException.ThrowIfNull(thresholds);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(far, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPairs, 1);
        var ordered = faces.OrderBy(f => f.Subject, StringComparer.Ordinal).ThenBy(f => f.FaceId, StringComparer.Ordinal).ToArray();
        var subjects = ordered.GroupBy(f => f.Subject, StringComparer.Ordinal).Select(g => g.Count()).ToArray();
        // Faces of one subject are contiguous in `ordered`: subject s spans [starts[s], starts[s] + subjects[s]).
        var starts = new int[subjects.Length];
        for (var s = 1; s < subjects.Length; s++)
        {
            starts[s] = starts[s - 1] + subjects[s - 1];
        }

        var genuineTotal = subjects.Sum(k => (long)k * (k - 1) / 2);
        var impostorTotal = ((long)ordered.Length * (ordered.Length - 1) / 2) - genuineTotal;
        var random = new Random(Seed);
        var genuine = genuineTotal <= maxPairs ? AllGenuine(ordered, subjects, starts) : SampleGenuine(ordered, subjects, starts, maxPairs, random);
        var impostor = impostorTotal <= maxPairs ? AllImpostors(ordered) : SampleImpostors(ordered, maxPairs, random);

        var scores = new ConditionScores(Gallery, genuine, impostor, []);
        var hasBoth = genuine.Length > 0 && impostor.Length > 0;
        ThresholdRates Rates(float t)
        {
            var at = ConditionCalibration.At(scores, t);
            return new ThresholdRates(t, at.FalseAcceptRate, at.FalseRejectRate, at.Accuracy);
        }

        var atFar = hasBoth ? Rates(Calibration.TarAtFar(genuine, impostor, far).Threshold) : null;
        var best = hasBoth ? Rates(ConditionCalibration.MaxMin([scores]).Threshold) : null;
        var severalFaces = subjects.Count(k => k >= 2);
        return new GalleryCalibrationReport(
            subjects.Length,
            severalFaces,
            ordered.Length,
            genuineTotal,
            impostorTotal,
            genuineTotal > maxPairs || impostorTotal > maxPairs,
            ScoreSummary.Of(genuine),
            ScoreSummary.Of(impostor),
            Calibration.RocAuc(genuine, impostor),
            far,
            atFar,
            best,
            hasBoth ? thresholds.Select(Rates).ToArray() : [],
            Warnings(subjects.Length, severalFaces, genuine.Length, impostor.Length, far));
    }

    private static List<string> Warnings(int subjects, int severalFaces, int genuine, int impostor, double far)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var warnings = new List<string>();
        if (subjects < MinSubjects)
        {
            warnings.Add($"Only {subjects} subjects have faces: impostor pairs come from too few pairs of people. Enroll at least {MinSubjects} subjects (better, a few hundred).");
        }

        if (severalFaces < MinSubjectsWithSeveralFaces)
        {
            warnings.Add($"Only {severalFaces} subjects have two or more faces ({genuine} genuine pairs): the false reject side rests on too few people. Enroll two or more photos of at least {MinSubjectsWithSeveralFaces} subjects.");
        }

        var aboveFar = (long)Math.Floor(far * impostor);
        if (aboveFar < MinImpostorPairsAboveFarThreshold)
        {
            warnings.Add(string.Create(c,
                $"The threshold at FAR {far:G3} rests on {aboveFar} of {impostor} impostor pairs above it; at least {MinImpostorPairsAboveFarThreshold} are needed, so {Math.Ceiling(MinImpostorPairsAboveFarThreshold / far):0} impostor pairs (about {Math.Ceiling(Math.Sqrt(2 * MinImpostorPairsAboveFarThreshold / far)):0} faces of different people)."));
        }

        return warnings;
    }

    private static float Score(LabelledEmbedding a, LabelledEmbedding b) => FaceRecognizer.Similarity(a.Vector, b.Vector);

    private static float[] AllGenuine(LabelledEmbedding[] faces, int[] sizes, int[] starts)
    {
        var scores = new List<float>();
        for (var s = 0; s < sizes.Length; s++)
        {
            for (var i = starts[s]; i < starts[s] + sizes[s]; i++)
            {
                for (var j = i + 1; j < starts[s] + sizes[s]; j++)
                {
                    scores.Add(Score(faces[i], faces[j]));
                }
            }
        }

        return [.. scores];
    }

    private static float[] AllImpostors(LabelledEmbedding[] faces)
    {
        var scores = new List<float>();
        for (var i = 0; i < faces.Length; i++)
        {
            for (var j = i + 1; j < faces.Length; j++)
            {
                if (!string.Equals(faces[i].Subject, faces[j].Subject, StringComparison.Ordinal))
                {
                    scores.Add(Score(faces[i], faces[j]));
                }
            }
        }

        return [.. scores];
    }

    /// <summary>Genuine pairs drawn uniformly (with replacement) from all of them: a subject in proportion to its pairs, then two of its faces.</summary>
    private static float[] SampleGenuine(LabelledEmbedding[] faces, int[] sizes, int[] starts, int count, Random random)
    {
        var cumulative = new long[sizes.Length];
        long total = 0;
        for (var s = 0; s < sizes.Length; s++)
        {
            total += (long)sizes[s] * (sizes[s] - 1) / 2;
            cumulative[s] = total;
        }

        var scores = new float[count];
        for (var k = 0; k < count; k++)
        {
            // The first subject whose running total passes the pick: subjects with one face (no pairs) never are.
            var pick = random.NextInt64(total);
            int s = 0, high = cumulative.Length - 1;
            while (s < high)
            {
                var mid = (s + high) >>> 1;
                if (cumulative[mid] > pick)
                {
                    high = mid;
                }
                else
                {
                    s = mid + 1;
                }
            }
            var i = random.Next(sizes[s]);
            var j = random.Next(sizes[s] - 1);
            j += j >= i ? 1 : 0;
            scores[k] = Score(faces[starts[s] + i], faces[starts[s] + j]);
        }

        return scores;
    }

    /// <summary>Impostor pairs drawn uniformly (with replacement): two faces at random, again while they are one subject's.</summary>
    private static float[] SampleImpostors(LabelledEmbedding[] faces, int count, Random random)
    {
        var scores = new float[count];
        for (var k = 0; k < count; k++)
        {
            int i, j;
            do
            {
                i = random.Next(faces.Length);
                j = random.Next(faces.Length);
            }
            while (string.Equals(faces[i].Subject, faces[j].Subject, StringComparison.Ordinal));

            scores[k] = Score(faces[i], faces[j]);
        }

        return scores;
    }
}
