using System.Security.Cryptography;

namespace FaceOrleans.Vision;

/// <summary>Resolves manifest entries to verified files on disk.</summary>
public sealed class ModelCatalog
{
    public const string ProvisionCommand = "python3 models/provision.py";

    private ModelCatalog(ModelManifest manifest, string modelsDirectory)
    {
        Manifest = manifest;
        ModelsDirectory = modelsDirectory;
    }

    public ModelManifest Manifest { get; }

    public string ModelsDirectory { get; }

    /// <summary>Loads <c>manifest.json</c> from <paramref name="modelsDirectory"/>.</summary>
    public static ModelCatalog Open(string modelsDirectory)
    {
        var manifest = ModelManifest.Load(Path.Combine(modelsDirectory, "manifest.json"));
        return new ModelCatalog(manifest, Path.GetFullPath(modelsDirectory));
    }

    /// <summary>
    /// The configured folder, or the nearest <c>models/</c> holding a manifest above the working
    /// directory or the executable, so that <c>dotnet run</c> and tests find the repository's models.
    /// </summary>
    public static ModelCatalog Locate(string? configuredDirectory = null)
    {
        if (!string.IsNullOrWhiteSpace(configuredDirectory))
        {
            return Open(configuredDirectory);
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "models");
                if (System.IO.File.Exists(Path.Combine(candidate, "manifest.json")))
                {
                    return Open(candidate);
                }
            }
        }

        throw new ModelUnavailableException("manifest",
            "No models/manifest.json found above the working directory; set Models:Directory to the folder that holds it.");
    }

    public ModelSpec Get(string name) => Manifest.Get(name);

    public string PathOf(ModelSpec model) => Path.Combine(ModelsDirectory, model.File);

    /// <summary>
    /// Checks that the model file exists and has the manifest's sha256, so a truncated download or a
    /// swapped file stops the service at start-up instead of producing wrong similarities.
    /// </summary>
    public string VerifiedPathOf(ModelSpec model) => Verified(model.Name, $"Model '{model.Name}'", PathOf(model), model.Sha256);

    /// <summary>
    /// The file a CPU session loads: the model's CPU form where the manifest gives one, verified the same way. The model
    /// file is verified too, although a CPU session does not read it, so a damaged install stops every slice alike.
    /// </summary>
    public string VerifiedCpuPathOf(ModelSpec model) => CpuPathOf(model, VerifiedPathOf(model));

    /// <summary>
    /// The CPU form of <paramref name="model"/>, verified, where the manifest gives one; else
    /// <paramref name="verifiedModelFile"/>, what <see cref="VerifiedPathOf"/> returned, so a caller that has verified
    /// the model file already does not hash it again.
    /// </summary>
    internal string CpuPathOf(ModelSpec model, string verifiedModelFile) =>
        model.CpuForm is { } form
            ? Verified(model.Name, $"The CPU form of model '{model.Name}'", Path.Combine(ModelsDirectory, form.File), form.Sha256)
            : verifiedModelFile;

    private static string Verified(string modelName, string what, string path, string sha256)
    {
        if (!System.IO.File.Exists(path))
        {
            throw new ModelUnavailableException(modelName,
                $"{what} is missing: '{path}' does not exist. Run '{ProvisionCommand}' to fetch and verify it.");
        }

        var actual = Sha256Of(path);
        if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelUnavailableException(modelName,
                $"{what} is corrupt: '{path}' has sha256 {actual}, the manifest expects {sha256}. " +
                $"Delete it and run '{ProvisionCommand}'.");
        }

        return path;
    }

    public static string Sha256Of(string path)
    {
        using var stream = System.IO.File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
