using System.Text.Json;

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

/// <summary>The models a slice runs unless configured otherwise.</summary>
public sealed record ManifestDefaults(string Detector, string Recognizer);
