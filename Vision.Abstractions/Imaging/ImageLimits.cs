namespace FaceOrleans.Vision;

/// <summary>Limits applied to every upload before and after decoding.</summary>
public sealed record ImageLimits
{
    public static readonly ImageLimits Default = new();

    /// <summary>Largest canvas accepted, read from the header before decoding (default 40 megapixels).</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>Smallest side accepted; below this no detectable face fits (RetinaFace's smallest anchor is 16 px).</summary>
    public int MinSide { get; init; } = 16;

    /// <summary>
    /// Longest side the pipeline works at. Larger photos are downscaled on decode: detection runs at
    /// 640 px anyway and a face that fills a 4000 px photo is still far larger than the 112 px crop.
    /// </summary>
    public int MaxWorkingSide { get; init; } = 1920;

    /// <summary>
    /// Long side a large JPEG may be decoded down to: libjpeg decodes at 1/2, 1/4 or 1/8 scale for less work and a
    /// smaller image to resize, and the largest of those reductions that keeps at least this many pixels is used.
    /// The pipeline allows it only for requests that need the most prominent face (detected at 480 px by default), and
    /// aligns a face too small for this size on a second, full-detail decode (see <see cref="DecodedImage.LostDetail"/>).
    /// Equal to <see cref="MaxWorkingSide"/> (see <see cref="FullDetail"/>), only photos of twice that size or more are
    /// decoded reduced.
    /// </summary>
    public int MinWorkingSide { get; init; } = 960;

    /// <summary>These limits with no reduction below <see cref="MaxWorkingSide"/>: the most detail the pipeline works at.</summary>
    public ImageLimits FullDetail => this with { MinWorkingSide = MaxWorkingSide };
}
