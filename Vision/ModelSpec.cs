using System.Text.Json.Serialization;

namespace FaceOrleans.Vision;

/// <summary>One model of the manifest: its file, checksum, role and how to feed it.</summary>
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

public sealed record ModelInputSpec(
    string Name,
    int Width,
    int Height,
    [property: JsonPropertyName("channel_order")] string ChannelOrder,
    float Scale,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std);

public sealed record DetectorSpec(
    IReadOnlyList<IReadOnlyList<int>> MinSizes,
    IReadOnlyList<int> Steps,
    IReadOnlyList<float> Variances,
    float NmsIou,
    float ScoreThreshold);

/// <param name="Threshold">The 1:1 similarity threshold: compare, and verify against one claimed subject.</param>
/// <param name="IdentificationThreshold">
/// The 1:N threshold (identify), stricter because a stranger is compared with every enrolled subject; without it,
/// identification uses <paramref name="Threshold"/>.
/// </param>
public sealed record RecognizerSpec(int EmbeddingSize, float Threshold, float? IdentificationThreshold = null);
