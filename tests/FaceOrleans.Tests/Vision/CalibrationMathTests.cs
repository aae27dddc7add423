using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Vision;

public sealed class CalibrationMathTests
{
    private static ScoredPair Pair(float? score, bool same) => new(new LabelledPair("a", "b", same), score);

    [Fact]
    public void Perfectly_separated_scores_give_full_accuracy_and_a_threshold_in_the_gap()
    {
        ScoredPair[] scored = [Pair(0.9f, true), Pair(0.7f, true), Pair(0.3f, false), Pair(0.1f, false)];

        var report = Calibration.Evaluate("m", scored, 0.5f, []);

        Assert.Equal(1.0, report.AccuracyAtThreshold);
        Assert.Equal(1.0, report.BestAccuracy);
        Assert.InRange(report.BestThreshold, 0.3f, 0.7f);
        Assert.Equal(1.0, report.RocAuc);
        Assert.Equal(1.0, report.TarAtFar1e3);
    }

    [Fact]
    public void Overlapping_scores_are_counted_exactly()
    {
        // One same-person pair scores below one different-person pair.
        ScoredPair[] scored = [Pair(0.8f, true), Pair(0.4f, true), Pair(0.5f, false), Pair(0.2f, false)];

        var report = Calibration.Evaluate("m", scored, 0.45f, []);

        Assert.Equal(0.5, report.AccuracyAtThreshold); // 0.4 rejected and 0.5 accepted: both wrong
        Assert.Equal(0.75, report.BestAccuracy); // no threshold gets all four right
        Assert.Equal(0.75, Calibration.Accuracy(scored.Select(s => (s.Similarity!.Value, s.Pair.SamePerson)).ToArray(), report.BestThreshold));
        Assert.Equal(0.75, report.RocAuc); // 3 of 4 (same, different) orderings are right
        Assert.Equal(0.5, report.TarAtFar1e3); // only 0.8 is above the highest different-person score
        Assert.True(report.ThresholdAtFar1e3 > 0.5f);
    }

    [Fact]
    public void A_pair_without_a_face_counts_as_rejected()
    {
        ScoredPair[] scored = [Pair(null, true), Pair(0.9f, true), Pair(0.1f, false)];

        var report = Calibration.Evaluate("m", scored, 0.5f, ["x.jpg"]);

        Assert.Equal(1, report.PairsWithoutFace);
        Assert.Equal(2.0 / 3, report.AccuracyAtThreshold, 6);
    }

    [Fact]
    public void Csv_with_a_wrong_header_is_rejected_with_its_line()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "a,b,c\nx,y,1\n");
            Assert.Throws<FormatException>(() => LabelledPair.ReadCsv(path));
            File.WriteAllText(path, "image_a,image_b,same_person\nx,y,maybe\n");
            var ex = Assert.Throws<FormatException>(() => LabelledPair.ReadCsv(path));
            Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
