using System.Text.Json.Nodes;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Vision;

/// <summary>The detector seam: the manifest entry's family picks the <see cref="IFaceDetector"/> class, RetinaFace by default.</summary>
[Collection(SharedVisionModels.Name)]
public sealed class DetectorFamilyTests(VisionFixture fixture) : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("faceorleans-family-");

    [Fact]
    public void The_shipped_detector_entry_names_no_family_and_runs_as_retinaface()
    {
        Assert.IsType<RetinaFaceDetector>(fixture.Pipeline.Detector);
        Assert.Equal(DetectorSpec.RetinaFace, ModelCatalog.Open(TestPaths.ModelsDirectory).Get("retinaface_mnet025").Detector!.Family);
    }

    [Fact]
    public void A_detector_of_an_unknown_family_is_refused_by_name_before_its_file_is_opened()
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.ModelsDirectory, "manifest.json")))!;
        var detector = manifest["models"]!.AsArray().Single(m => (string?)m!["name"] == (string?)manifest["defaults"]!["detector"])!;
        detector["detector"]!["family"] = "scrfd";
        File.WriteAllText(Path.Combine(_scratch.FullName, "manifest.json"), manifest.ToJsonString());

        using var sessions = new OnnxSessionFactory(ModelCatalog.Open(_scratch.FullName), new InferenceOptions());
        var refused = Assert.Throws<ModelUnavailableException>(() => sessions.Detector((string)detector["name"]!));
        Assert.Contains("'scrfd'", refused.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _scratch.Delete(recursive: true);
}
