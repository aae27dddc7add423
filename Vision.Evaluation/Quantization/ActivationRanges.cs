using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceOrleans.Vision.Evaluation;

/// <summary>
/// What an int8 model is made from besides its fp32 file: the range [min, max] each quantized activation took on the
/// shared photos, measured once by <see cref="ActivationCalibrator"/> and committed as
/// <c>models/quantization/NAME.json</c>. <c>models/provision.py</c> turns the fp32 file and these ranges into the
/// QDQ model without running anything, so the int8 file is the same bytes on every machine (its sha256 is in the manifest).
/// </summary>
/// <param name="Model">The fp32 manifest entry the ranges were measured on.</param>
/// <param name="SourceSha256">That entry's sha256: ranges of other weights mean nothing.</param>
/// <param name="Method">How a range is taken from the observed values (<c>minmax</c>).</param>
/// <param name="Inputs">How many model inputs (images or aligned faces) were observed.</param>
/// <param name="Tensors">Per activation tensor name: [min, max] over every observed value.</param>
public sealed record ActivationRanges(
    string Model, string SourceSha256, string Method, int Inputs, string Photos, SortedDictionary<string, float[]> Tensors)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    public static ActivationRanges Load(string path) =>
        JsonSerializer.Deserialize<ActivationRanges>(File.ReadAllText(path), Json)
        ?? throw new InvalidDataException($"'{path}' holds no activation ranges.");
}
