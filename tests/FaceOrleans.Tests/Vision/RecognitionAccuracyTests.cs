using FaceOrleans.Silo;
using FaceOrleans.Vision;
using FaceOrleans.Vision.Evaluation;

namespace FaceOrleans.Tests.Vision;

[Collection(SharedVisionModels.Name)]
public sealed class RecognitionAccuracyTests(VisionFixture fixture)
{
    [Theory]
    [InlineData("face_embed_512d", 512)]
    [InlineData("mobilefacenet_128d", 128)]
    public async Task All_520_pairs_are_separated_at_the_default_threshold(string recognizer, int embeddingSize)
    {
        // Only the manifest entry differs between the two recognizers: input name, normalisation,
        // output name and embedding size all come from configuration.
        var pipeline = fixture.PipelineWith(recognizer);
        var pairs = LabelledPair.ReadCsv(TestPaths.PairsCsv);

        var (scored, noFace) = await PairScorer.ScoreAsync(pipeline, pairs, TestPaths.FacesDirectory);
        var report = Calibration.Evaluate(recognizer, scored, pipeline.Recognizer.DefaultThreshold, noFace);

        Assert.Equal(embeddingSize, pipeline.Recognizer.EmbeddingSize);
        Assert.Equal(520, report.Pairs);
        Assert.Equal(140, report.SamePairs);
        Assert.Equal(0, report.PairsWithoutFace);
        Assert.True(report.AccuracyAtThreshold >= 0.98, report.ToTable());
        Assert.True(report.RocAuc >= 0.99, report.ToTable());
    }

    [Theory]
    [InlineData("face_embed_512d")]
    [InlineData("mobilefacenet_128d")]
    public async Task The_shipped_defaults_are_what_the_condition_rule_picks_on_the_shared_photos(string recognizer)
    {
        // README's method, run whole: every pair of the 61 photos, clean gallery against probes in every standard
        // capture condition; the 1:1 default holds FAR <= 1 % in every condition, the 1:N default FAR <= 0.2 %.
        var pipeline = fixture.PipelineWith(recognizer);
        var identities = PhotoIdentities.FromPairs(LabelledPair.ReadCsv(TestPaths.PairsCsv));

        var scores = await ConditionEvaluator.ScoreAsync(pipeline, identities, TestPaths.FacesDirectory, CaptureCondition.Standard);
        var report = ConditionCalibration.Evaluate(recognizer, identities, scores, pipeline.Recognizer.DefaultThreshold);

        Assert.Equal(report.SuggestedDefault, pipeline.Recognizer.DefaultThreshold);
        Assert.Equal(report.SuggestedIdentificationDefault, pipeline.Recognizer.DefaultIdentificationThreshold);
        Assert.All(report.AtSuggestedDefault, r => Assert.True(r.FalseAcceptRate <= ConditionCalibration.DefaultFar, report.ToTable()));
        Assert.All(report.AtSuggestedIdentificationDefault, r => Assert.True(r.FalseAcceptRate <= ConditionCalibration.DefaultIdentificationFar, report.ToTable()));
        Assert.True(pipeline.Recognizer.DefaultIdentificationThreshold > pipeline.Recognizer.DefaultThreshold, report.ToTable());
        // Everything but strong blur stays above 98 % balanced accuracy at the 1:1 default, and night CCTV (85 px
        // faces, dim, grayscale, JPEG 30) above 97.5 %: with aspect-preserving detection mobilefacenet_128d scores
        // 97.81 % there (98.69 % with the letterboxed detector), face_embed_512d 99.5 %.
        Assert.All(report.AtSuggestedDefault.Where(r => r.Condition != "blur-strong"),
            r => Assert.True(r.Accuracy >= (r.Condition == "night-cctv" ? 0.975 : 0.98), report.ToTable()));
    }

    [Fact]
    public async Task Embeddings_are_unit_length_and_a_face_matches_itself()
    {
        var faces = (await fixture.Pipeline.EmbedAsync([TestPaths.Photo("img2.jpg")], fixture.Defaults))[0];
        var embedding = Assert.Single(faces).Embedding;
        Assert.Equal(512, embedding.Length);
        Assert.Equal(1.0, System.Numerics.Tensors.TensorPrimitives.Norm(embedding), 4);
        Assert.Equal(1.0, FaceRecognizer.Similarity(embedding, embedding), 4);
    }
}
