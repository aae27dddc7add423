using OpenCvSharp;

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

/// <summary>A decoded, EXIF-oriented BGR image at working resolution.</summary>
public sealed class DecodedImage : IDisposable
{
    public DecodedImage(Mat bgr, ImageHeader header, double scaleToOriginal, bool lostDetail = false)
    {
        Bgr = bgr;
        Header = header;
        ScaleToOriginal = scaleToOriginal;
        LostDetail = lostDetail;
    }

    public Mat Bgr { get; }

    public ImageHeader Header { get; }

    /// <summary>Multiply working-image coordinates by this to get coordinates in the uploaded (oriented) image.</summary>
    public double ScaleToOriginal { get; }

    /// <summary>A reduced decode made it smaller than <see cref="ImageLimits.FullDetail"/> would have.</summary>
    public bool LostDetail { get; }

    public void Dispose() => Bgr.Dispose();
}

public static class ImageDecoder
{
    public static DecodedImage Decode(byte[] data, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        limits ??= ImageLimits.Default;
        var header = ImageHeader.Read(data);
        if (header.Pixels > limits.MaxPixels)
        {
            throw new FaceInputException(FaceInputError.TooLarge,
                $"The image is {header.Width}x{header.Height} ({header.Pixels / 1e6:0.#} megapixels); " +
                $"the limit is {limits.MaxPixels / 1e6:0.#} megapixels.");
        }

        if (Math.Min(header.Width, header.Height) < limits.MinSide)
        {
            throw new FaceInputException(FaceInputError.TooSmall,
                $"The image is {header.Width}x{header.Height}; each side must be at least {limits.MinSide} px to hold a face.");
        }

        var longSide = Math.Max(header.Width, header.Height);
        var mode = ReducedDecodeMode(longSide, Math.Min(limits.MinWorkingSide, limits.MaxWorkingSide));
        var mat = Cv2.ImDecode(data, mode);
        if (mat.Empty())
        {
            mat.Dispose();
            throw new FaceInputException(FaceInputError.Corrupt,
                $"The upload has a {header.Format} header but its image data cannot be decoded.");
        }

        var decodedLongSide = Math.Max(mat.Width, mat.Height);
        if (decodedLongSide > limits.MaxWorkingSide)
        {
            var factor = (double)limits.MaxWorkingSide / decodedLongSide;
            var resized = new Mat();
            Cv2.Resize(mat, resized, new Size(0, 0), factor, factor, InterpolationFlags.Area);
            mat.Dispose();
            mat = resized;
        }

        // Uniform scale, so EXIF rotation (which swaps width and height) does not change it.
        var workingSide = Math.Max(mat.Width, mat.Height);
        return new DecodedImage(mat, header, (double)longSide / workingSide, workingSide < Math.Min(longSide, limits.MaxWorkingSide));
    }

    /// <summary>
    /// libjpeg can decode at 1/2, 1/4 or 1/8 scale for a fraction of the cost; use the largest reduction
    /// that still leaves at least <paramref name="minWorkingSide"/>, and let a resize do the rest.
    /// </summary>
    private static ImreadModes ReducedDecodeMode(int longSide, int minWorkingSide)
    {
        if (longSide >= minWorkingSide * 8)
        {
            return ImreadModes.ReducedColor8;
        }

        if (longSide >= minWorkingSide * 4)
        {
            return ImreadModes.ReducedColor4;
        }

        return longSide >= minWorkingSide * 2 ? ImreadModes.ReducedColor2 : ImreadModes.Color;
    }
}
