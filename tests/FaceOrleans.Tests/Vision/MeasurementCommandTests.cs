using System.Text.Json;
using FaceOrleans.Silo;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Vision;

/// <summary>The silo's GPU measurement commands, run here CPU against CPU (docs/gpu.md runs them on a GPU).</summary>
public sealed class MeasurementCommandTests
{
    private static readonly FacePoint[] Landmarks = [new(30, 40), new(60, 40), new(45, 55), new(35, 70), new(55, 70)];

    [Fact]
    public async Task Check_provider_finds_the_cpu_agrees_with_itself_on_every_shared_photo()
    {
        var (exitCode, stdout, stderr) = await TestProcess.RunSiloAsync(["check-provider", "--device", "cpu", "--images", TestPaths.FacesDirectory, "--json"]);

        Assert.True(exitCode == 0, stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        Assert.True(report.GetProperty("passed").GetBoolean());
        Assert.Equal("CPU", report.GetProperty("device_provider").GetString());
        Assert.Equal(Directory.GetFiles(TestPaths.FacesDirectory, "*.jpg").Length, report.GetProperty("photos").GetInt32());
        Assert.True(report.GetProperty("faces").GetInt32() >= report.GetProperty("photos").GetInt32()); // couple.jpg and the group photo hold several
        Assert.True(report.GetProperty("min_cosine").GetDouble() >= 0.999999);
        Assert.True(report.GetProperty("min_iou").GetDouble() >= 0.999999);
        Assert.Empty(report.GetProperty("failed_photos").EnumerateArray());
    }

    [Fact]
    public async Task Check_provider_refuses_to_measure_the_cpu_in_place_of_a_gpu_it_cannot_load()
    {
        var (exitCode, _, stderr) = await TestProcess.RunSiloAsync(["check-provider", "--device", "cuda:63", "--images", TestPaths.FacesDirectory]);

        Assert.Equal(1, exitCode);
        Assert.Contains("cannot run on the CUDA execution provider (cuda:63)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Model_latency_times_both_models_at_every_batch_size_asked_for()
    {
        var (exitCode, stdout, stderr) = await TestProcess.RunSiloAsync(
            ["model-latency", "--device", "cpu", "--batches", "1", "3", "--iterations", "2", "--warmup", "1", "--operators", "--json"]);

        Assert.True(exitCode == 0, stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("CPU", report.GetProperty("provider").GetString());
        var rows = report.GetProperty("rows").EnumerateArray().ToArray();
        // The recognizer has a CPU form: on the CPU it is timed as the form and as the model file.
        Assert.Equal(
            ["retinaface_mnet025/1", "retinaface_mnet025/3", "face_embed_512d (CPU form)/1", "face_embed_512d (CPU form)/3",
                "face_embed_512d (model file)/1", "face_embed_512d (model file)/3"],
            rows.Select(r => $"{r.GetProperty("model").GetString()}/{r.GetProperty("batch").GetInt32()}"));
        // Operator by operator: the model file spends time in its 33 PRelus, the CPU form has none, each model's shares sum to 1.
        var operators = report.GetProperty("operators").EnumerateArray()
            .GroupBy(o => o.GetProperty("model").GetString()!)
            .ToDictionary(g => g.Key, g => g.ToDictionary(o => o.GetProperty("operator").GetString()!, o => o));
        Assert.Equal(["retinaface_mnet025", "face_embed_512d (CPU form)", "face_embed_512d (model file)"], operators.Keys);
        Assert.Equal(33, operators["face_embed_512d (model file)"]["PRelu"].GetProperty("nodes_per_call").GetInt32());
        Assert.True(operators["face_embed_512d (model file)"]["PRelu"].GetProperty("ms_per_call").GetDouble() > 0);
        Assert.DoesNotContain("PRelu", operators["face_embed_512d (CPU form)"].Keys);
        Assert.Contains("Conv", operators["retinaface_mnet025"].Keys);
        Assert.All(operators.Values, model => Assert.InRange(model.Values.Sum(o => o.GetProperty("share").GetDouble()), 0.999, 1.001));
        Assert.All(rows, r =>
        {
            Assert.Equal(2, r.GetProperty("iterations").GetInt32());
            Assert.True(r.GetProperty("p50_ms").GetDouble() > 0);
            Assert.True(r.GetProperty("max_ms").GetDouble() >= r.GetProperty("p50_ms").GetDouble());
            Assert.True(r.GetProperty("images_per_second").GetDouble() > 0);
        });
    }

    [Fact]
    public async Task Model_latency_rejects_a_batch_size_below_one_and_an_operator_profile_off_the_cpu()
    {
        var (exitCode, _, stderr) = await TestProcess.RunSiloAsync(["model-latency", "--batches", "0"]);
        var onCuda = await TestProcess.RunSiloAsync(["model-latency", "--device", "cuda:0", "--operators"]);

        Assert.Equal(1, exitCode);
        Assert.Contains("--batches need positive sizes", stderr, StringComparison.Ordinal);
        Assert.Equal(1, onCuda.ExitCode);
        Assert.Contains("--operators profiles the CPU provider", onCuda.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Faces_that_match_in_place_and_embedding_agree()
    {
        var reference = new[] { Face(10, 10, 90, 110, 0.99f, [1, 0, 0]), Face(200, 20, 260, 100, 0.9f, [0, 1, 0]) };
        var device = new[] { Face(201, 21, 260, 100, 0.9f, [0, 1, 0.001f]), Face(10, 10, 90, 111, 0.98f, [1, 0, 0]) };

        var result = ProviderAgreement.Compare("a.jpg", reference, device, minIou: 0.9, minCosine: 0.999);

        Assert.True(result.Passed);
        Assert.InRange(result.MinIou, 0.95, 1.0);
        Assert.InRange(result.MinCosine, 0.999, 1.0);
    }

    [Fact]
    public void A_box_that_moved_an_embedding_that_turned_or_a_face_found_once_fails_the_photo()
    {
        var reference = new[] { Face(10, 10, 90, 110, 0.99f, [1, 0, 0]) };

        var moved = ProviderAgreement.Compare("a.jpg", reference, [Face(30, 10, 110, 110, 0.99f, [1, 0, 0])], 0.9, 0.999);
        var turned = ProviderAgreement.Compare("a.jpg", reference, [Face(10, 10, 90, 110, 0.99f, [1, 0.1f, 0])], 0.9, 0.999);
        var extra = ProviderAgreement.Compare("a.jpg", reference, [reference[0], Face(300, 10, 380, 110, 0.8f, [0, 0, 1])], 0.9, 0.999);
        var missing = ProviderAgreement.Compare("a.jpg", reference, [], 0.9, 0.999);

        Assert.False(moved.Passed);
        Assert.InRange(moved.MinIou, 0.5, 0.9);
        Assert.False(turned.Passed);
        Assert.InRange(turned.MinCosine, 0.99, 0.999);
        Assert.False(extra.Passed);
        Assert.Equal((1, 2), (extra.ReferenceFaces, extra.DeviceFaces));
        Assert.False(missing.Passed);
        Assert.Equal(0, missing.MinIou);
    }

    private static EmbeddedFace Face(float left, float top, float right, float bottom, float score, float[] embedding)
    {
        FaceRecognizer.Normalize(embedding);
        return new EmbeddedFace(new DetectedFace(new FaceBox(left, top, right, bottom), score, Landmarks), embedding);
    }
}
