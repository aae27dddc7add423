using FaceOrleans.Contracts;
using FaceOrleans.Grains;
using FaceOrleans.Vision;

namespace FaceOrleans.Tests;

/// <summary>What models/manifest.json ships, so tests check the service against the manifest rather than a copied number.</summary>
public static class ShippedModels
{
    private static readonly Lazy<ModelManifest> Manifest = new(() => ModelManifest.Load(Path.Combine(TestPaths.ModelsDirectory, "manifest.json")));

    /// <summary>The default recognizer's thresholds: 1:1 (compare, verify) and 1:N (identify).</summary>
    public static RecognizerSpec DefaultRecognizer => Manifest.Value.Get(Manifest.Value.Defaults.Recognizer).Recognizer!;

    /// <summary>The identity a gallery records for embeddings of the manifest's recognizer <paramref name="name"/>.</summary>
    public static EmbeddingModel Identity(string name) => EmbeddingModel.Of(Manifest.Value.Get(name));

    /// <summary>The default recognizer's identity: what the test silos embed with unless told otherwise.</summary>
    public static EmbeddingModel DefaultIdentity => Identity(Manifest.Value.Defaults.Recognizer);
}
