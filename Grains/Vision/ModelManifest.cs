using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceOrleans.Vision;

/// <summary>The contents of <c>models/manifest.json</c>: every model the service can run and how to feed it.</summary>
public sealed record ModelManifest(ManifestDefaults Defaults, IReadOnlyList<ModelSpec> Models)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static ModelManifest Load(string manifestPath)
    {
        if (!File.Exists(manifestPath))
        {
            throw new ModelUnavailableException("manifest", $"The model manifest '{manifestPath}' does not exist.");
        }

        using var stream = File.OpenRead(manifestPath);
        var manifest = JsonSerializer.Deserialize<ModelManifest>(stream, JsonOptions)
            ?? throw new ModelUnavailableException("manifest", $"The model manifest '{manifestPath}' is empty.");
        foreach (var model in manifest.Models)
        {
            model.Validate();
        }

        return manifest;
    }

    public ModelSpec Get(string name) =>
        Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal))
        ?? throw new ModelUnavailableException(name,
            $"The model '{name}' is not in the manifest; known models: {string.Join(", ", Models.Select(m => m.Name))}.");
}

public sealed record ManifestDefaults(string Detector, string Recognizer);

public sealed record ModelSpec(
    string Name,
    string File,
    string Sha256,
    string Role,
    ModelInputSpec Input,
    IReadOnlyDictionary<string, string> Outputs,
    DetectorSpec? Detector = null,
    RecognizerSpec? Recognizer = null,
    string? Description = null,
    string? License = null)
{
    public const string DetectorRole = "detector";
    public const string RecognizerRole = "recognizer";

    public string Output(string key) =>
        Outputs.TryGetValue(key, out var name)
            ? name
            : throw new ModelUnavailableException(Name, $"The manifest entry for '{Name}' names no '{key}' output.");

    internal void Validate()
    {
        var problems = new List<string>();
        if (Input.Mean.Count != 3 || Input.Std.Count != 3)
        {
            problems.Add("input.mean and input.std need one value per channel (3)");
        }

        if (Input.Std.Any(s => s == 0))
        {
            problems.Add("input.std must not contain 0");
        }

        if (Input.ChannelOrder is not ("RGB" or "BGR"))
        {
            problems.Add("input.channel_order must be RGB or BGR");
        }

        if (Role == DetectorRole && Detector is null)
        {
            problems.Add("a detector needs a 'detector' section");
        }

        if (Role == RecognizerRole && Recognizer is null)
        {
            problems.Add("a recognizer needs a 'recognizer' section");
        }

        if (problems.Count > 0)
        {
            throw new ModelUnavailableException(Name, $"The manifest entry for '{Name}' is invalid: {string.Join("; ", problems)}.");
        }
    }
}

/// <param name="Width">Input width; for a <paramref name="DynamicSize"/> detector, the size it was exported and is run at by default.</param>
/// <param name="DynamicSize">
/// The model file's height and width are symbolic (a fully convolutional detector): it runs at any size that
/// is a multiple of its largest stride, so images keep their aspect ratio instead of being letterboxed square.
/// </param>
public sealed record ModelInputSpec(
    string Name,
    int Width,
    int Height,
    [property: JsonPropertyName("channel_order")] string ChannelOrder,
    float Scale,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std,
    bool DynamicSize = false);

/// <param name="ProminentFaceSide">
/// Long side, in pixels, at which a request that needs only the most prominent face is detected first
/// (compare, enroll, identify, verify); null means the full size. Only a dynamic-size detector uses it.
/// </param>
public sealed record DetectorSpec(
    IReadOnlyList<IReadOnlyList<int>> MinSizes,
    IReadOnlyList<int> Steps,
    IReadOnlyList<float> Variances,
    float NmsIou,
    float ScoreThreshold,
    int? ProminentFaceSide = null);

public sealed record RecognizerSpec(int EmbeddingSize, float Threshold);

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
    public string VerifiedPathOf(ModelSpec model)
    {
        var path = PathOf(model);
        if (!System.IO.File.Exists(path))
        {
            throw new ModelUnavailableException(model.Name,
                $"Model '{model.Name}' is missing: '{path}' does not exist. Run '{ProvisionCommand}' to fetch and verify it.");
        }

        var actual = Sha256Of(path);
        if (!string.Equals(actual, model.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelUnavailableException(model.Name,
                $"Model '{model.Name}' is corrupt: '{path}' has sha256 {actual}, the manifest expects {model.Sha256}. " +
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

/// <summary>A model the service needs is missing, corrupt or misdescribed; the service must not start.</summary>
public sealed class ModelUnavailableException(string modelName, string message) : Exception(message)
{
    public string ModelName { get; } = modelName;
}
