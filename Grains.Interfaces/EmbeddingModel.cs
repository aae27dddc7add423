using System.Globalization;

namespace FaceOrleans.Contracts;

/// <summary>
/// The recognizer that produced an embedding: its manifest name, its version (the first 12 hex digits of the
/// model file's sha256 in <c>models/manifest.json</c>, so retrained weights under the same name are a new model)
/// and its dimension. Every stored embedding records one; a gallery holds embeddings of exactly one, because
/// similarities between two recognizers' embeddings mean nothing.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.EmbeddingModel")]
public sealed record EmbeddingModel([property: Id(0)] string Name, [property: Id(1)] string Version, [property: Id(2)] int Dimension)
{
    /// <summary>Hex digits of the model file's sha256 that make its version.</summary>
    public const int VersionLength = 12;

    /// <summary>The name a model has when the rows that used it predate model identity and no manifest recognizer has their dimension.</summary>
    public const string Unrecorded = "unrecorded";

    /// <summary>One string for the places that keep a model as text (Redis values, shard snapshots): <c>name@version/dimension</c>.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture, $"{Name}@{Version}/{Dimension}");

    /// <summary>The model a <see cref="Key"/> names.</summary>
    public static EmbeddingModel ParseKey(string key)
    {
        var at = key.LastIndexOf('@');
        var slash = key.LastIndexOf('/');
        return at > 0 && slash > at && int.TryParse(key.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var dimension)
            ? new EmbeddingModel(key[..at], key[(at + 1)..slash], dimension)
            : throw new FormatException($"'{key}' is not a model key (name@version/dimension).");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} (version {Version}, {Dimension}-d)");
}
