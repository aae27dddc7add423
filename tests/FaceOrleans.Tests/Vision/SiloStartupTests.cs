using FaceOrleans.Tests.Cluster;

namespace FaceOrleans.Tests.Vision;

public sealed class SiloStartupTests : IDisposable
{
    private readonly DirectoryInfo _models = Directory.CreateTempSubdirectory("faceorleans-bad-models-");

    [Fact]
    public async Task The_silo_refuses_to_start_when_a_model_is_corrupt_and_names_it()
    {
        await CopyModelsWithCorruptAsync("retinaface_mnet025.onnx");

        var result = await TestProcess.RunSiloAsync(HostArguments(_models.FullName), _models.FullName);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: the silo cannot start", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("retinaface_mnet025", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("python3 models/provision.py", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_set_to_int8_loads_the_int8_models_and_refuses_to_start_when_one_is_corrupt()
    {
        // Only the int8 detector is damaged: a silo that still loaded the fp32 one would start.
        await CopyModelsWithCorruptAsync("retinaface_mnet025_int8.onnx");

        var result = await TestProcess.RunSiloAsync(HostArguments(_models.FullName, "--FaceOrleans:Slice:Precision=int8"), _models.FullName);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: the silo cannot start", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Model 'retinaface_mnet025_int8' is corrupt", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cuda:63", "cannot run on the CUDA execution provider (cuda:63)")] // no such device anywhere, GPU or not
    [InlineData("cpu", "RequireGpu is true but FaceOrleans:Slice:Device is 'cpu'")]
    public async Task A_silo_that_requires_a_gpu_it_cannot_use_refuses_to_start_and_says_why(string device, string reason)
    {
        var result = await TestProcess.RunSiloAsync(
            HostArguments(TestPaths.ModelsDirectory, $"--FaceOrleans:Slice:Device={device}", "--FaceOrleans:Slice:RequireGpu=true"), _models.FullName);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: the silo cannot start", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(reason, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("falling back to the CPU provider", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_api_hosting_a_silo_that_requires_a_gpu_it_cannot_use_refuses_to_start_and_says_why()
    {
        var result = await TestProcess.RunAsync("dotnet",
            HostArguments(TestPaths.ModelsDirectory, "--FaceOrleans:Slice:Device=cuda:63", "--FaceOrleans:Slice:RequireGpu=true",
                $"--urls=http://127.0.0.1:{RealHosts.FreePort()}", $"--FaceOrleans:Api:DemoKeysFile={Path.Combine(_models.FullName, "demo-keys.env")}")
            .Prepend(TestPaths.EmbeddedCommand).Prepend(TestPaths.SiloAssembly),
            _models.FullName);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: the API cannot start: model 'retinaface_mnet025' cannot run on the CUDA execution provider (cuda:63)", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>The repository's manifest and models in this test's folder, with <paramref name="file"/> overwritten by three bytes.</summary>
    private async Task CopyModelsWithCorruptAsync(string file)
    {
        File.Copy(Path.Combine(TestPaths.ModelsDirectory, "manifest.json"), Path.Combine(_models.FullName, "manifest.json"));
        foreach (var model in Directory.GetFiles(TestPaths.ModelsDirectory, "*.onnx"))
        {
            File.Copy(model, Path.Combine(_models.FullName, Path.GetFileName(model)));
        }

        var corrupt = Path.Combine(_models.FullName, file);
        File.SetAttributes(corrupt, FileAttributes.Normal);
        await File.WriteAllBytesAsync(corrupt, [1, 2, 3]);
    }

    /// <summary>A standalone silo (or API hosting one) on free ports, its state in this test's folder.</summary>
    private string[] HostArguments(string modelsDirectory, params string[] more) =>
    [
        $"--FaceOrleans:Models:Directory={modelsDirectory}",
        $"--FaceOrleans:Cluster:SiloPort={RealHosts.FreePort()}",
        $"--FaceOrleans:Cluster:GatewayPort={RealHosts.FreePort()}",
        $"--FaceOrleans:Cluster:StoragePath={Path.Combine(_models.FullName, "state.db")}",
        .. more,
    ];

    public void Dispose() => _models.Delete(recursive: true);
}
