using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Vision;

public sealed class GalleryCalibrationTests
{
    [Fact]
    public void The_fast_roc_auc_equals_counting_every_pair_ties_included()
    {
        var random = new Random(7);
        // Scores on a coarse grid, so many positives tie with negatives.
        var positives = Enumerable.Range(0, 300).Select(_ => MathF.Round(random.NextSingle() * 20) / 20 + 0.2f).ToArray();
        var negatives = Enumerable.Range(0, 500).Select(_ => MathF.Round(random.NextSingle() * 20) / 20).ToArray();

        double wins = 0;
        foreach (var p in positives)
        {
            foreach (var n in negatives)
            {
                wins += p > n ? 1 : p == n ? 0.5 : 0;
            }
        }

        Assert.Equal(wins / (positives.Length * (double)negatives.Length), Calibration.RocAuc(positives, negatives), 12);
        Assert.Equal(0.5, Calibration.RocAuc([0.3f, 0.3f], [0.3f]));
        Assert.True(double.IsNaN(Calibration.RocAuc([], [0.1f])));
    }

    [Fact]
    public void A_gallery_sample_keeps_whole_subjects_whatever_order_the_faces_come_in()
    {
        var faces = Gallery(subjects: 40, facesEach: 3, dimensions: 8, seed: 1);
        var inOrder = new GallerySample(maxFaces: 50);
        var shuffled = new GallerySample(maxFaces: 50);
        foreach (var face in faces)
        {
            inOrder.Add(face);
        }

        foreach (var face in faces.OrderBy(_ => Random.Shared.Next()))
        {
            shuffled.Add(face);
        }

        inOrder.Add(faces[0]); // read twice: counted once if kept

        var kept = inOrder.Faces();
        Assert.True(inOrder.Truncated);
        Assert.Equal(121, inOrder.FacesRead);
        Assert.Equal(48, kept.Count); // 16 whole subjects of 3 faces fit under 50
        Assert.All(kept.GroupBy(f => f.Subject), g => Assert.Equal(3, g.Count()));
        Assert.Equal(kept.Select(f => f.FaceId), shuffled.Faces().Select(f => f.FaceId));
    }

    [Fact]
    public void Calibration_counts_every_pair_finds_the_thresholds_and_warns_when_the_gallery_is_small()
    {
        var faces = Gallery(subjects: 30, facesEach: 4, dimensions: 64, seed: 2);

        var report = GalleryCalibration.Evaluate(faces, far: 0.01, thresholds: [0.5f], maxPairs: 1_000_000);
        var small = GalleryCalibration.Evaluate(faces.Take(8).ToArray(), far: 1e-3, thresholds: [], maxPairs: 1_000_000);

        Assert.Equal((30, 30, 120), (report.Subjects, report.SubjectsWithSeveralFaces, report.Faces));
        Assert.Equal((30L * 6, (120L * 119 / 2) - (30 * 6)), (report.GenuinePairsTotal, report.ImpostorPairsTotal));
        Assert.Equal((180, 6960), (report.Genuine.Count, report.Impostor.Count));
        Assert.False(report.Sampled);
        Assert.True(report.Genuine.Median > report.Impostor.P95);
        Assert.InRange(report.RocAuc, 0.99, 1);
        Assert.True(report.AtFar!.FalseAcceptRate <= 0.01);
        Assert.True(report.BestAccuracy!.Accuracy >= report.AtFar.Accuracy);
        Assert.Equal(0.5f, Assert.Single(report.AtThresholds).Threshold);
        Assert.Empty(report.Warnings);
        // 2 subjects, 4 faces each: too few people on both sides, and 1e-3 of 16 impostor pairs is no pair at all.
        Assert.Equal(3, small.Warnings.Count);
    }

    [Fact]
    public void A_large_gallery_is_sampled_the_same_way_every_time_and_agrees_with_the_whole()
    {
        var faces = Gallery(subjects: 60, facesEach: 5, dimensions: 64, seed: 3);

        var whole = GalleryCalibration.Evaluate(faces, 0.01, [], maxPairs: 1_000_000);
        var sampled = GalleryCalibration.Evaluate(faces, 0.01, [], maxPairs: 20_000);
        var again = GalleryCalibration.Evaluate(faces.Reverse().ToArray(), 0.01, [], maxPairs: 20_000);

        Assert.True(sampled.Sampled);
        Assert.Equal(whole.ImpostorPairsTotal, sampled.ImpostorPairsTotal);
        Assert.Equal(20_000, sampled.Impostor.Count);
        // The same pairs whatever order the store returns faces in.
        Assert.Equal((sampled.Genuine, sampled.Impostor, sampled.RocAuc), (again.Genuine, again.Impostor, again.RocAuc));
        Assert.Equal((sampled.AtFar, sampled.BestAccuracy), (again.AtFar, again.BestAccuracy));
        Assert.Equal(whole.RocAuc, sampled.RocAuc, 2);
        Assert.Equal(whole.Impostor.Mean, sampled.Impostor.Mean, 2);
        Assert.InRange(sampled.AtFar!.Threshold, whole.AtFar!.Threshold - 0.05f, whole.AtFar.Threshold + 0.05f);
    }

    /// <summary>Unit embeddings clustered by subject: each face is its subject's centre plus noise, so genuine pairs score high.</summary>
    private static LabelledEmbedding[] Gallery(int subjects, int facesEach, int dimensions, int seed)
    {
        var random = new Random(seed);
        float[] Unit(float[] v)
        {
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / norm).ToArray();
        }

        float[] Gaussian() => Enumerable.Range(0, dimensions)
            .Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))).ToArray();

        var faces = new List<LabelledEmbedding>();
        for (var s = 0; s < subjects; s++)
        {
            var centre = Unit(Gaussian());
            for (var f = 0; f < facesEach; f++)
            {
                var noise = Unit(Gaussian());
                faces.Add(new LabelledEmbedding($"f{s}-{f}", $"s{s:000}", Unit(centre.Zip(noise, (c, n) => c + (0.8f * n)).ToArray())));
            }
        }

        return [.. faces];
    }
}
