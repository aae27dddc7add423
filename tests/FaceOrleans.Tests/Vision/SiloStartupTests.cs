using FaceOrleans.Tests.Cluster;

namespace FaceOrleans.Tests.Vision;

public sealed class SiloStartupTests : IDisposable
{
    private readonly DirectoryInfo _models = Directory.CreateTempSubdirectory("faceorleans-bad-models-");

    [Fact]
    public async Task The_silo_refuses_to_start_when_a_model_is_corrupt_and_names_it()
    {
        File.Copy(Path.Combine(TestPaths.ModelsDirectory, "manifest.json"), Path.Combine(_models.FullName, "manifest.json"));
        foreach (var model in Directory.GetFiles(TestPaths.ModelsDirectory, "*.onnx"))
        {
            File.Copy(model, Path.Combine(_models.FullName, Path.GetFileName(model)));
        }

        var detector = Path.Combine(_models.FullName, "retinaface_mnet025.onnx");
        File.SetAttributes(detector, FileAttributes.Normal);
        await File.WriteAllBytesAsync(detector, [1, 2, 3]);

        var result = await TestProcess.RunSiloAsync(
        [
            $"--FaceOrleans:Models:Directory={_models.FullName}",
            $"--FaceOrleans:Cluster:SiloPort={RealHosts.FreePort()}",
            $"--FaceOrleans:Cluster:GatewayPort={RealHosts.FreePort()}",
            $"--FaceOrleans:Cluster:StoragePath={Path.Combine(_models.FullName, "state.db")}",
        ], _models.FullName);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: the silo cannot start", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("retinaface_mnet025", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("python3 models/provision.py", result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _models.Delete(recursive: true);
}
