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

    /// <summary>
    /// The model to run for <paramref name="name"/> at <paramref name="precision"/>: <paramref name="name"/> itself for
    /// <see cref="ModelPrecision.Fp32"/>, the entry quantized from it for <see cref="ModelPrecision.Int8"/>.
    /// </summary>
    public string At(string name, ModelPrecision precision) => precision switch
    {
        ModelPrecision.Fp32 => name,
        _ => Models.FirstOrDefault(m => string.Equals(m.Quantized?.From, name, StringComparison.Ordinal))?.Name
            ?? (Get(name).Quantized is not null ? name : throw new ModelUnavailableException(name,
                $"The manifest has no int8 model quantized from '{name}'; use Precision=fp32 or add one (docs/int8.md).")),
    };
}

/// <summary>Which arithmetic a slice's models run in (slice setting <c>Precision</c>).</summary>
public enum ModelPrecision
{
    /// <summary>The models as published.</summary>
    Fp32,

    /// <summary>Their static int8 QDQ derivations (docs/int8.md).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "The precision's own name, as the Precision setting spells it.")]
    Int8,
}

/// <summary>The models a slice runs unless configured otherwise.</summary>
public sealed record ManifestDefaults(string Detector, string Recognizer);
