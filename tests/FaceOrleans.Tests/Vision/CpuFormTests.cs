using FaceOrleans.Contracts;
using FaceOrleans.Grains;
using FaceOrleans.Grains.Slices;
using FaceOrleans.Vision;
using FaceOrleans.Vision.Evaluation;
using Microsoft.Extensions.Configuration;
using Microsoft.ML.OnnxRuntime;

namespace FaceOrleans.Tests.Vision;

/// <summary>
/// A model's CPU form (manifest <c>cpu_form</c>: face_embed_512d with its PRelus rewritten as depthwise Convs, which
/// ONNX Runtime's CPU provider runs in about half the time) must answer exactly what the model file does, because the
/// embeddings it makes keep the model's identity: a gallery enrolled before it must match faces embedded after it.
/// </summary>
[Collection(SharedVisionModels.Name)]
public sealed class CpuFormTests(VisionFixture vision)
{
    [Fact]
    public void A_cpu_session_loads_the_cpu_form_and_its_embeddings_keep_the_models_identity()
    {
        var catalog = vision.Sessions.Catalog;
        var recognizer = catalog.Get(catalog.Manifest.Defaults.Recognizer);
        Assert.NotNull(recognizer.CpuForm);

        using var session = vision.Sessions.CreateSession(recognizer.Name);

        Assert.Equal(("CPU", catalog.VerifiedCpuPathOf(recognizer)), (session.ExecutionProvider, session.File));
        Assert.NotEqual(catalog.VerifiedPathOf(recognizer), session.File);
        Assert.Equal(recognizer.Sha256[..EmbeddingModel.VersionLength], EmbeddingModel.Of(recognizer).Version);
        // FaceOrleans:Slice:UseCpuForms=false runs the model file itself.
        var slice = new SliceOptions();
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["FaceOrleans:Slice:UseCpuForms"] = "false" })
            .Build().GetSection(SliceOptions.Section).Bind(slice);
        using var withoutForms = new OnnxSessionFactory(catalog, slice.ToInferenceOptions());
        using var modelFile = withoutForms.CreateSession(recognizer.Name);
        Assert.Equal(catalog.VerifiedPathOf(recognizer), modelFile.File);
        // A model without a CPU form runs from its own file.
        var detector = catalog.Get(catalog.Manifest.Defaults.Detector);
        Assert.Null(detector.CpuForm);
        Assert.Equal(catalog.VerifiedPathOf(detector), catalog.VerifiedCpuPathOf(detector));
    }

    [Fact]
    public async Task The_cpu_form_embeds_every_face_of_the_shared_photos_bit_for_bit_as_the_model_file()
    {
        var catalog = vision.Sessions.Catalog;
        var recognizer = catalog.Get(catalog.Manifest.Defaults.Recognizer);
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var model = new InferenceSession(catalog.VerifiedPathOf(recognizer), options);
        using var cpuForm = new InferenceSession(catalog.VerifiedCpuPathOf(recognizer), options);
        // Every aligned face the pipeline feeds the recognizer, packed as it packs them.
        var faces = new List<float[]>();
        var pipeline = vision.Pipeline.WithRunner(new RecordingModelRunner(null, face => faces.Add(face.Tensor.Span.ToArray())));
        foreach (var photo in Int8Calibration.Photos(TestPaths.FacesDirectory))
        {
            await pipeline.EmbedAsync([await File.ReadAllBytesAsync(photo)], pipeline.ModelDefaults);
        }

        Assert.True(faces.Count >= 64, $"the shared photos gave {faces.Count} faces");
        // One at a time and all in one batch: a slice runs both.
        for (var i = 0; i < faces.Count; i++)
        {
            AssertSameBits(Run(model, recognizer.Input, [faces[i]]), Run(cpuForm, recognizer.Input, [faces[i]]), $"face {i}");
        }

        AssertSameBits(Run(model, recognizer.Input, faces), Run(cpuForm, recognizer.Input, faces), $"the batch of {faces.Count}");
    }

    private static float[] Run(InferenceSession session, ModelInputSpec input, List<float[]> faces)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(faces.SelectMany(f => f).ToArray(), [faces.Count, 3, input.Height, input.Width]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [input.Name], [value], session.OutputNames);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var differing = Enumerable.Range(0, expected.Length)
            .Count(i => BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]));
        Assert.True(differing == 0, $"{what}: {differing} of {expected.Length} embedding values differ from the model file's");
    }
}
