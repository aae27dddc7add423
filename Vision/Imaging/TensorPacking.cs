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
        slot.Clear();

        // For each tensor channel: which BGR byte feeds it, and the affine map x * a + b.
        Span<int> source = stackalloc int[3];
        Span<float> multiply = stackalloc float[3];
        Span<float> add = stackalloc float[3];
        for (var c = 0; c < 3; c++)
        {
            source[c] = input.ChannelOrder == "RGB" ? 2 - c : c;
            multiply[c] = input.Scale / input.Std[c];
            add[c] = -input.Mean[c] / input.Std[c];
        }

        var step = (long)bgr.Step();
        var data = (byte*)bgr.DataPointer;
        int width = bgr.Width, height = bgr.Height;
        for (var y = 0; y < height; y++)
        {
            var row = data + (y * step);
            var offset = y * tensor.Width;
            for (var x = 0; x < width; x++)
            {
                var pixel = row + (x * 3);
                var index = offset + x;
                slot[index] = (pixel[source[0]] * multiply[0]) + add[0];
                slot[plane + index] = (pixel[source[1]] * multiply[1]) + add[1];
                slot[(2 * plane) + index] = (pixel[source[2]] * multiply[2]) + add[2];
            }
        }
    }
}
