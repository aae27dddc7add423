using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>Packs 8-bit BGR images into a normalised NCHW float tensor as a model's manifest entry describes.</summary>
internal static class TensorPacking
{
    /// <summary>
    /// Writes <paramref name="bgr"/> (CV_8UC3, at most the tensor's size) into slot <paramref name="batchIndex"/>
    /// of <paramref name="tensor"/>, top-left aligned. Pixels outside the image stay 0, which after mean
    /// subtraction is the neutral value the network saw as padding in training.
    /// </summary>
    public static unsafe void Pack(Mat bgr, ModelInputSpec input, PooledInputTensor tensor, int batchIndex)
    {
        if (bgr.Type() != MatType.CV_8UC3 || bgr.Width > tensor.Width || bgr.Height > tensor.Height)
        {
            throw new ArgumentException($"Expected an 8-bit BGR image of at most {tensor.Width}x{tensor.Height}.", nameof(bgr));
        }

        var plane = tensor.Width * tensor.Height;
        var slot = tensor.Span.Slice(batchIndex * 3 * plane, 3 * plane);
        int width = bgr.Width, height = bgr.Height;
        ClearPadding(slot, tensor.Width, tensor.Height, width, height);

        // OpenCV splits the interleaved pixels and converts each channel plane in vectorised loops, straight into the
        // tensor's memory. The per-pixel C# loop this replaced took 1.2-1.5 % of the service's CPU at c=4 (issue 22);
        // the values may differ from it in the last bit, which the accuracy and int8-range tests do not see.
        var channels = Cv2.Split(bgr);
        try
        {
            fixed (float* start = slot)
            {
                for (var c = 0; c < 3; c++)
                {
                    // For each tensor channel: which BGR plane feeds it, and the affine map x * a + b.
                    var source = input.ChannelOrder == "RGB" ? 2 - c : c;
                    using var target = Mat.FromPixelData(tensor.Height, tensor.Width, MatType.CV_32FC1, (IntPtr)(start + (c * plane)));
                    using var region = target[new Rect(0, 0, width, height)];
                    channels[source].ConvertTo(region, MatType.CV_32FC1, input.Scale / input.Std[c], -input.Mean[c] / input.Std[c]);
                }
            }
        }
        finally
        {
            Disposables.DisposeAll(channels);
        }
    }

    /// <summary>
    /// Zeroes what the image leaves uncovered in each channel plane (the rented memory holds an earlier call's values):
    /// the end of each of its rows, and the rows below it. Only that: clearing the whole slot first was a 2 MB memset
    /// per detector input, most of it overwritten at once.
    /// </summary>
    private static void ClearPadding(Span<float> slot, int tensorWidth, int tensorHeight, int width, int height)
    {
        if (width == tensorWidth && height == tensorHeight)
        {
            return;
        }

        var plane = tensorWidth * tensorHeight;
        for (var c = 0; c < 3; c++)
        {
            var channel = slot.Slice(c * plane, plane);
            if (width < tensorWidth)
            {
                for (var y = 0; y < height; y++)
                {
                    channel.Slice((y * tensorWidth) + width, tensorWidth - width).Clear();
                }
            }

            channel[(height * tensorWidth)..].Clear();
        }
    }
}
