namespace FaceOrleans.Vision;

/// <summary>Dim light: the scene's light drops and the sensor's noise shows (values on the 0–255 scale).</summary>
/// <param name="Gain">Multiplies the intensity after the gamma; 0.4 is a bit over a stop darker.</param>
/// <param name="Gamma">Applied to intensity in 0..1; above 1 crushes the shadows as a cheap sensor does in low light.</param>
/// <param name="NoiseSigma">Standard deviation of the Gaussian read noise added per pixel, in 8-bit levels.</param>
public sealed record DimLight(double Gain, double Gamma, double NoiseSigma);

/// <summary>
/// One way a real camera degrades a face photo, relative to the face so it means the same on a 4000 px
/// photo and a 400 px one. Steps run in the order a camera applies them: lens blur, sensor resolution,
/// low light and noise, a monochrome sensor, then the encoder.
/// </summary>
/// <param name="Name">Short name used on the command line and in reports.</param>
/// <param name="BlurEyeFraction">Gaussian blur sigma as a fraction of the inter-eye distance (the aligned crop has 35.2 px between the eyes).</param>
/// <param name="InterEyePixels">Downscale the whole image so the face's inter-eye distance is this many pixels (never upscales).</param>
/// <param name="Dim">Low light and sensor noise.</param>
/// <param name="Grayscale">A monochrome camera: one channel, delivered as three equal channels as a decoder does.</param>
/// <param name="JpegQuality">Re-encode as JPEG at this quality (1–100).</param>
public sealed record CaptureCondition(
    string Name,
    double? BlurEyeFraction = null,
    double? InterEyePixels = null,
    DimLight? Dim = null,
    bool Grayscale = false,
    int? JpegQuality = null)
{
    /// <summary>The photo as taken; the gallery side of every pair.</summary>
    public static readonly CaptureCondition Clean = new("clean");

    /// <summary>A bit over a stop less light, shadows crushed, and read noise of 6 levels.</summary>
    private static readonly DimLight LowLight = new(Gain: 0.4, Gamma: 1.5, NoiseSigma: 6);

    /// <summary>
    /// The conditions the shipped thresholds were chosen on: each degradation alone, blur at two strengths, and a
    /// night-time CCTV frame that has several together.
    /// </summary>
    public static readonly IReadOnlyList<CaptureCondition> Standard =
    [
        Clean,
        new("grayscale", Grayscale: true),
        // Face boxes about 100 and 60 px wide: RetinaFace's box is about 2.1 inter-eye distances across.
        new("small", InterEyePixels: 48),
        new("tiny", InterEyePixels: 28),
        new("jpeg30", JpegQuality: 30),
        // Sigma as a share of the eye distance; the aligned 112 px crop has 35.2 px between the eyes, so these are
        // about 1.1 px (a soft, slightly defocused face) and 2.2 px (strong defocus: eyes and mouth lose their edges).
        new("blur-mild", BlurEyeFraction: 1.0 / 32),
        new("blur-strong", BlurEyeFraction: 1.0 / 16),
        new("dim", Dim: LowLight),
        // An 85 px face from a monochrome night camera: dim, noisy and heavily compressed.
        new("night-cctv", InterEyePixels: 40, Dim: LowLight, Grayscale: true, JpegQuality: 30),
    ];

    public bool IsClean => BlurEyeFraction is null && InterEyePixels is null && Dim is null && !Grayscale && JpegQuality is null;

    /// <summary>The standard conditions named in a comma-separated list ("all" for every one); clean is always included.</summary>
    public static IReadOnlyList<CaptureCondition> Parse(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 1 && names[0].Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            return Standard;
        }

        var chosen = new List<CaptureCondition> { Clean };
        foreach (var name in names)
        {
            var condition = Standard.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                ?? throw new FormatException($"Unknown condition '{name}'; choose from all, {string.Join(", ", Standard.Select(c => c.Name))}.");
            if (!chosen.Contains(condition))
            {
                chosen.Add(condition);
            }
        }

        return chosen;
    }
}
