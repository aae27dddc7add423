using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>Checks an upload's header against the limits, then decodes it at working resolution.</summary>
public static class ImageDecoder
{
    public static DecodedImage Decode(byte[] data, ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(limits);
        var header = ImageHeader.Read(data);
        if (header.Pixels > limits.MaxPixels)
        {
            throw new RequestRejectedException(RejectionCode.ImageTooLarge, null,
                $"The image is {header.Width}x{header.Height} ({header.Pixels / 1e6:0.#} megapixels); " +
                $"the limit is {limits.MaxPixels / 1e6:0.#} megapixels.");
        }

        if (Math.Min(header.Width, header.Height) < limits.MinSide)
        {
            throw new RequestRejectedException(RejectionCode.ImageTooSmall, null,
                $"The image is {header.Width}x{header.Height}; each side must be at least {limits.MinSide} px to hold a face.");
        }

        var longSide = Math.Max(header.Width, header.Height);
        var mode = ReducedDecodeMode(longSide, Math.Min(limits.MinWorkingSide, limits.MaxWorkingSide));
        var mat = Cv2.ImDecode(data, mode);
        if (mat.Empty())
        {
            mat.Dispose();
            throw new RequestRejectedException(RejectionCode.CorruptImage, null,
                $"The upload has a {header.Format} header but its image data cannot be decoded.");
        }

        var decodedLongSide = Math.Max(mat.Width, mat.Height);
        if (decodedLongSide > limits.MaxWorkingSide)
        {
            var factor = (double)limits.MaxWorkingSide / decodedLongSide;
            var resized = new Mat();
            AreaResize.Resize(mat, resized, new Size(0, 0), factor, factor);
            mat.Dispose();
            mat = resized;
        }

        // Uniform scale, so EXIF rotation (which swaps width and height) does not change it.
        var workingSide = Math.Max(mat.Width, mat.Height);
        return new DecodedImage(mat, (double)longSide / workingSide, lostDetail: workingSide < Math.Min(longSide, limits.MaxWorkingSide));
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
