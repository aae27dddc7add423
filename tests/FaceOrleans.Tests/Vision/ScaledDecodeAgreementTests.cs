using FaceOrleans.Silo;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Vision;

/// <summary>
/// libjpeg's scaled decode (1/2, 1/4, 1/8 while the image stays at least <see cref="ImageLimits.MinWorkingSide"/>) is
/// kept for compare, enroll, identify and verify only because it changes no answer on the real photos: the same faces
/// (IoU at least 0.9 in the uploaded photo's pixels) on every shared photo, and the same decision at the default
/// threshold on all 520 shared pairs, as decoding each photo at full detail.
/// </summary>
[Collection(SharedVisionModels.Name)]
public sealed class ScaledDecodeAgreementTests(VisionFixture fixture)
{
    private FaceOptions Reduced => fixture.Defaults;

    private FaceOptions FullDecode => fixture.Defaults with { Limits = fixture.Defaults.Limits.FullDetail };

    [Fact]
    public void The_shared_photos_include_ones_the_default_limits_decode_reduced()
    {
        // Otherwise the two tests below would compare full decodes with themselves.
        var reduced = Directory.GetFiles(TestPaths.FacesDirectory, "*.jpg")
            .Count(file =>
            {
                using var image = ImageDecoder.Decode(File.ReadAllBytes(file), Reduced.Limits);
                using var full = ImageDecoder.Decode(File.ReadAllBytes(file), FullDecode.Limits);
                return image.Bgr.Width < full.Bgr.Width;
            });
        Assert.True(reduced >= 10, $"only {reduced} shared photos are decoded reduced");
    }

    [Fact]
    public async Task Every_shared_photo_gives_the_same_faces_decoded_reduced_as_at_full_detail()
    {
        var problems = new List<string>();
        foreach (var file in Directory.GetFiles(TestPaths.FacesDirectory, "*.jpg").Order())
        {
            // The prominent-face path, as compare runs it: faces come back in the uploaded photo's pixels.
            var bytes = File.ReadAllBytes(file);
            var reduced = (await fixture.Pipeline.EmbedAsync([bytes], Reduced, prominentFaceFirst: true))[0].Select(f => f.Face).ToArray();
            var full = (await fixture.Pipeline.EmbedAsync([bytes], FullDecode, prominentFaceFirst: true))[0].Select(f => f.Face).ToArray();
            if (reduced.Length != full.Length)
            {
                problems.Add($"{Path.GetFileName(file)}: {reduced.Length} faces decoded reduced, {full.Length} at full detail");
                continue;
            }

            foreach (var face in full)
            {
                var best = reduced.Select(f => f.Box.IntersectionOverUnion(face.Box)).DefaultIfEmpty(0).Max();
                if (best < 0.9f)
                {
                    problems.Add($"{Path.GetFileName(file)}: the face at {face.Box} is matched with IoU {best:0.00} when decoded reduced");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task All_520_pairs_get_the_same_decision_at_the_default_threshold()
    {
        var pairs = LabelledPair.ReadCsv(TestPaths.PairsCsv);
        var threshold = fixture.Pipeline.Recognizer.DefaultThreshold;
        var (reduced, reducedNoFace) = await PairScorer.ScoreAsync(fixture.Pipeline, pairs, TestPaths.FacesDirectory, Reduced);
        var (full, fullNoFace) = await PairScorer.ScoreAsync(fixture.Pipeline, pairs, TestPaths.FacesDirectory, FullDecode);

        Assert.Equal(520, reduced.Count);
        Assert.Empty(reducedNoFace);
        Assert.Empty(fullNoFace);
        var differing = reduced.Zip(full)
            .Where(p => p.First.Similarity >= threshold != p.Second.Similarity >= threshold)
            .Select(p => $"{p.First.Pair.ImageA}-{p.First.Pair.ImageB}: {p.First.Similarity:0.000} reduced, {p.Second.Similarity:0.000} full")
            .ToArray();
        Assert.True(differing.Length == 0, string.Join("\n", differing));
    }
}
