using FaceOrleans.Vision;

namespace FaceOrleans.Tests.Vision;

public sealed class ProvisioningTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("faceorleans-models-");

    [Fact]
    public void Service_refuses_a_model_whose_sha256_is_wrong_and_names_it()
    {
        var catalog = CopyOfModels();
        var model = catalog.Get("face_embed_512d");
        FlipOneByte(catalog.PathOf(model));

        var ex = Assert.Throws<ModelUnavailableException>(() => catalog.VerifiedPathOf(model));

        Assert.Equal("face_embed_512d", ex.ModelName);
        Assert.Contains("corrupt", ex.Message, StringComparison.Ordinal);
        Assert.Contains(ModelCatalog.ProvisionCommand, ex.Message, StringComparison.Ordinal);
        Assert.Throws<ModelUnavailableException>(() =>
            new OnnxSessionFactory(catalog, new InferenceOptions()).Recognizer("face_embed_512d"));
    }

    [Fact]
    public void Service_refuses_a_cpu_form_whose_sha256_is_wrong_and_names_its_model()
    {
        var catalog = CopyOfModels();
        var model = catalog.Get("face_embed_512d");
        FlipOneByte(Path.Combine(catalog.ModelsDirectory, model.CpuForm!.File));

        var ex = Assert.Throws<ModelUnavailableException>(() =>
            new OnnxSessionFactory(catalog, new InferenceOptions()).Recognizer("face_embed_512d"));

        Assert.Equal("face_embed_512d", ex.ModelName);
        Assert.Contains($"The CPU form of model 'face_embed_512d' is corrupt: '{Path.Combine(catalog.ModelsDirectory, model.CpuForm.File)}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(ModelCatalog.ProvisionCommand, ex.Message, StringComparison.Ordinal);
        Assert.Equal(catalog.PathOf(model), catalog.VerifiedPathOf(model));
    }

    [Fact]
    public void Service_refuses_a_missing_model_and_says_how_to_fetch_it()
    {
        var catalog = CopyOfModels();
        var model = catalog.Get("mobilefacenet_128d");
        File.Delete(catalog.PathOf(model));

        var ex = Assert.Throws<ModelUnavailableException>(() => catalog.VerifiedPathOf(model));

        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
        Assert.Contains(ModelCatalog.ProvisionCommand, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Provisioning_script_rejects_a_corrupt_source_copy_and_names_the_model()
    {
        var fakeShared = _scratch.CreateSubdirectory("shared");
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.SharedDirectory, "models"), "*.onnx"))
        {
            File.Copy(file, Path.Combine(fakeShared.FullName, Path.GetFileName(file)));
        }

        FlipOneByte(Path.Combine(fakeShared.FullName, "retinaface_mnet025.onnx"));
        var target = _scratch.CreateSubdirectory("target");

        var result = await TestProcess.RunAsync("python3",
            [Path.Combine(TestPaths.ModelsDirectory, "provision.py"), "--models-dir", target.FullName, "--shared", fakeShared.FullName, "--offline"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAILED retinaface_mnet025", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(target.FullName, "retinaface_mnet025.onnx")), "a corrupt model was installed");
        // The intact models still arrive and verify.
        Assert.Equal(ModelCatalog.Sha256Of(Path.Combine(TestPaths.SharedDirectory, "models", "face_embed_512d.onnx")),
            ModelCatalog.Sha256Of(Path.Combine(target.FullName, "face_embed_512d.onnx")));
    }

    private ModelCatalog CopyOfModels()
    {
        File.Copy(Path.Combine(TestPaths.ModelsDirectory, "manifest.json"), Path.Combine(_scratch.FullName, "manifest.json"));
        foreach (var file in Directory.GetFiles(TestPaths.ModelsDirectory, "*.onnx"))
        {
            File.Copy(file, Path.Combine(_scratch.FullName, Path.GetFileName(file)));
            File.SetAttributes(Path.Combine(_scratch.FullName, Path.GetFileName(file)), FileAttributes.Normal);
        }

        return ModelCatalog.Open(_scratch.FullName);
    }

    private static void FlipOneByte(string path)
    {
        File.SetAttributes(path, FileAttributes.Normal);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = stream.Length / 2;
        var value = stream.ReadByte();
        stream.Position--;
        stream.WriteByte((byte)(value ^ 0xFF));
    }

    public void Dispose() => _scratch.Delete(recursive: true);
}
