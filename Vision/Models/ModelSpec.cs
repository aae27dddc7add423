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
    string? License = null,
    QuantizedSpec? Quantized = null,
    [property: JsonPropertyName("cpu_form")] CpuFormSpec? CpuForm = null)
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

/// <summary>
/// How <c>models/provision.py</c> derives this model from an fp32 one (docs/int8.md): <paramref name="From"/> names the
/// fp32 entry, <paramref name="Ranges"/> the committed activation ranges, <paramref name="KeepFp32"/> the Convs left in float.
/// </summary>
public sealed record QuantizedSpec(string From, string Ranges, IReadOnlyList<string>? KeepFp32 = null);

/// <summary>
/// The same network rewritten for ONNX Runtime's CPU provider, which a CPU session loads instead of the entry's file:
/// <c>models/provision.py</c> makes <paramref name="File"/> by applying the patches to the verified model file
/// (models/README.md, "CPU forms"). Its outputs are bit-identical to the model's (tested on every shared photo), so the
/// model's identity, and the version its embeddings record, stay the entry's own sha256.
/// </summary>
public sealed record CpuFormSpec(string File, string Sha256);

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
/// <param name="Family">Which <see cref="IFaceDetector"/> class runs the model; the prior-box fields are RetinaFace's.</param>
public sealed record DetectorSpec(
    IReadOnlyList<IReadOnlyList<int>> MinSizes,
    IReadOnlyList<int> Steps,
    IReadOnlyList<float> Variances,
    float NmsIou,
    float ScoreThreshold,
    int? ProminentFaceSide = null,
    string Family = DetectorSpec.RetinaFace)
{
    public const string RetinaFace = "retinaface";
}

/// <param name="Threshold">The 1:1 similarity threshold: compare, and verify against one claimed subject.</param>
/// <param name="IdentificationThreshold">
/// The 1:N threshold (identify), stricter because a stranger is compared with every enrolled subject; without it,
/// identification uses <paramref name="Threshold"/>.
/// </param>
public sealed record RecognizerSpec(int EmbeddingSize, float Threshold, float? IdentificationThreshold = null);
