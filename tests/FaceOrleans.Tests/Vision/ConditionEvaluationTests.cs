using FaceOrleans.Vision;
using FaceOrleans.Vision.Evaluation;
using OpenCvSharp;

namespace FaceOrleans.Tests.Vision;

[Collection(SharedVisionModels.Name)]
public sealed class ConditionEvaluationTests(VisionFixture fixture)
{
    [Fact]
    public void Same_person_pairs_link_the_shared_photos_into_13_people()
    {
        var pairs = LabelledPair.ReadCsv(TestPaths.PairsCsv);
        var identities = PhotoIdentities.FromPairs(pairs);

        Assert.Equal(13, identities.People);
        Assert.Equal(61, identities.Photos.Count);
        // The photos pairs.csv never names have no known person.
        Assert.DoesNotContain("couple.jpg", identities.Photos);
        Assert.DoesNotContain("selfie-many-people.jpg", identities.Photos);
        Assert.DoesNotContain("img11_reflection.jpg", identities.Photos);
        Assert.All(pairs, p => Assert.Equal(p.SamePerson, identities.PersonOf(p.ImageA) == identities.PersonOf(p.ImageB)));
    }

    [Fact]
    public void A_different_person_label_inside_one_person_is_refused()
    {
        LabelledPair[] pairs = [new("a", "b", true), new("b", "c", true), new("a", "c", false)];

        var ex = Assert.Throws<FormatException>(() => PhotoIdentities.FromPairs(pairs));
        Assert.Contains("a and c", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Grayscale_probes_are_gray_and_every_copy_still_has_its_face()
    {
        var conditions = CaptureCondition.Parse("grayscale,night-cctv,blur-strong");
        using var probes = ConditionEvaluator.Probe(fixture.Pipeline, TestPaths.FacesDirectory, "img29.jpg", conditions);

        Assert.Equal(conditions.Select(c => c.Name), probes.Copies.Select(c => c.Condition.Name));
        Assert.All(probes.Copies, c => Assert.NotNull(c.Face));
        foreach (var (condition, bgr, _) in probes.Copies)
        {
            var channels = bgr.Split();
            var channelGap = Cv2.Norm(channels[0], channels[2], NormTypes.INF);
            Assert.True(condition.Grayscale ? channelGap == 0 : channelGap > 0, $"{condition.Name}: channel gap {channelGap}");
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    [Fact]
    public async Task Real_evaluation_on_a_subset_scores_every_pair_and_degraded_probes_score_worse()
    {
        // Three people with their first three photos each: quick, and still same- and different-person pairs.
        var all = PhotoIdentities.FromPairs(LabelledPair.ReadCsv(TestPaths.PairsCsv));
        var keep = all.Photos.GroupBy(all.PersonOf).Take(3).SelectMany(g => g.Take(3)).ToHashSet();
        var subset = all.Where(keep.Contains);
        var conditions = CaptureCondition.Parse("grayscale,blur-strong,night-cctv");

        var scores = await ConditionEvaluator.ScoreAsync(fixture.Pipeline, subset, TestPaths.FacesDirectory, conditions);
        var report = ConditionCalibration.Evaluate("face_embed_512d", subset, scores, fixture.Pipeline.Recognizer.DefaultThreshold);

        Assert.Equal((9, 3), (subset.Photos.Count, subset.People));
        Assert.Equal(conditions.Select(c => c.Name), scores.Select(s => s.Condition.Name));
        // Clean: each unordered pair once (3 x 3 same, 36 - 9 different); degraded: both orders.
        Assert.Equal((9, 27), (scores[0].Same.Count, scores[0].Different.Count));
        Assert.All(scores.Skip(1), s => Assert.Equal((18, 54), (s.Same.Count, s.Different.Count)));
        Assert.All(scores, s => Assert.Empty(s.ProbesWithoutFace));
        Assert.All(scores.SelectMany(s => s.Same.Concat(s.Different)), score => Assert.InRange(score, -1f, 1f));

        var clean = report.AtThreshold[0];
        Assert.Equal(1.0, clean.RocAuc);
        Assert.All(report.AtThreshold.Skip(1), degraded => Assert.True(degraded.Accuracy <= clean.Accuracy, report.ToTable()));
        // Strong blur takes the detail a recognizer needs: same-person scores drop well below their clean values.
        Assert.True(scores[2].Same.Average() < scores[0].Same.Average() - 0.1, report.ToTable());
        Assert.True(scores[2].Same.Min() < scores[0].Same.Min(), report.ToTable());

        // The chosen threshold keeps the false accept bound everywhere, and the suggested default rounds it up.
        Assert.All(report.AtChosenThreshold, r => Assert.True(r.FalseAcceptRate <= report.Far, report.ToTable()));
        Assert.InRange(report.SuggestedDefault, report.ChosenThreshold, report.ChosenThreshold + 0.01f);
        Assert.True(report.ChosenWorstAccuracy >= report.AtThreshold.Min(r => r.Accuracy) || report.AtThreshold.Any(r => r.FalseAcceptRate > report.Far), report.ToTable());
    }

    [Fact]
    public void Max_min_takes_the_best_worst_case_and_a_far_bound_overrides_it()
    {
        ConditionScores Condition(string name, float[] same, float[] different) => new(new CaptureCondition(name), same, different, []);
        ConditionScores[] conditions =
        [
            Condition("easy", [0.9f, 0.8f, 0.7f, 0.6f], [0.1f, 0.2f, 0.3f, 0.4f]),
            Condition("hard", [0.5f, 0.35f, 0.3f, 0.25f], [0f, 0.05f, 0.1f, 0.15f]),
        ];

        // Between 0.2 and 0.35 the worse condition is at 3/4 either way; no threshold does better for both.
        var (threshold, worst) = ConditionCalibration.MaxMin(conditions);
        Assert.Equal(0.75, worst);
        Assert.InRange(threshold, 0.2f, 0.35f);

        // No false accept allowed: only thresholds above 0.4 qualify, and of those (0.4, 0.5) loses least.
        var (bounded, boundedWorst) = ConditionCalibration.MaxMin(conditions, far: 0);
        Assert.Equal(0.625, boundedWorst);
        Assert.InRange(bounded, 0.4f, 0.5f);
        Assert.Equal(0, ConditionCalibration.At(conditions[0], bounded).FalseAcceptRate);
        Assert.Equal(0.75, ConditionCalibration.At(conditions[1], bounded).FalseRejectRate);
    }
}
