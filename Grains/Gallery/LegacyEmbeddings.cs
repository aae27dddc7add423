using FaceOrleans.Vision;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// Which recognizer a stored embedding came from when its row predates model identity: the silo's current
/// recognizer (the slice's, the manifest default unless configured) when the dimension agrees, else the manifest's
/// recognizer of that dimension, else <see cref="EmbeddingModel.Unrecorded"/>. The stores ask once per legacy row
/// and write the answer back, so the guess is made once.
/// </summary>
public sealed class LegacyEmbeddings(EmbeddingModel current, IReadOnlyList<EmbeddingModel> known)
{
    /// <summary>Without a manifest (tests that write every row's model themselves): legacy rows stay unrecorded.</summary>
    public static readonly LegacyEmbeddings None = new(new EmbeddingModel(EmbeddingModel.Unrecorded, "legacy", 0), []);

    public EmbeddingModel Current => current;

    public static LegacyEmbeddings FromManifest(ModelCatalog catalog, string? recognizer)
    {
        var manifest = catalog.Manifest;
        return new LegacyEmbeddings(
            EmbeddingModel.Of(manifest.Get(recognizer ?? manifest.Defaults.Recognizer)),
            manifest.Models.Where(m => m.Recognizer is not null).Select(EmbeddingModel.Of).ToArray());
    }

    public EmbeddingModel For(int dimension) =>
        current.Dimension == dimension ? current
        : known.FirstOrDefault(m => m.Dimension == dimension) ?? new EmbeddingModel(EmbeddingModel.Unrecorded, "legacy", dimension);
}
