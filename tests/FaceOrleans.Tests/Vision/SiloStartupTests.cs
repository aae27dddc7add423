using System.Diagnostics;
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

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _models.FullName };
        foreach (var argument in new[]
        {
            TestPaths.SiloAssembly,
            $"--FaceOrleans:Models:Directory={_models.FullName}",
            $"--FaceOrleans:Cluster:SiloPort={RealHosts.FreePort()}",
            $"--FaceOrleans:Cluster:GatewayPort={RealHosts.FreePort()}",
            $"--FaceOrleans:Cluster:StoragePath={Path.Combine(_models.FullName, "state.db")}",
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, process.ExitCode);
        Assert.Contains("error: the silo cannot start", stderr, StringComparison.Ordinal);
        Assert.Contains("retinaface_mnet025", stderr, StringComparison.Ordinal);
        Assert.Contains("python3 models/provision.py", stderr, StringComparison.Ordinal);
        _ = await stdout;
    }

    public void Dispose() => _models.Delete(recursive: true);
}
