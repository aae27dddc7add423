using FaceOrleans.Vision;
using OpenCvSharp;

namespace FaceOrleans.Tests.Vision;

/// <summary>
/// Input tensors are rented and hold an earlier call's values: packing an image smaller than the tensor must leave
/// every value outside it at exactly 0 (the network's neutral padding) and every value inside it the image's pixel,
/// normalised as the manifest says.
/// </summary>
public sealed class TensorPackingTests
{
    [Theory]
    [InlineData(40, 32, 35, 27)]   // padding to the right and below
    [InlineData(40, 32, 40, 20)]   // below only
    [InlineData(40, 32, 33, 32)]   // to the right only
    [InlineData(40, 32, 40, 32)]   // none
    public void An_image_fills_its_corner_and_the_rest_of_a_used_tensor_is_zero(int tensorWidth, int tensorHeight, int width, int height)
    {
        var catalog = ModelCatalog.Open(TestPaths.ModelsDirectory);
        foreach (var model in new[] { catalog.Manifest.Defaults.Detector, catalog.Manifest.Defaults.Recognizer })
        {
            var input = catalog.Get(model).Input;
            using var photo = Cv2.ImRead(Path.Combine(TestPaths.FacesDirectory, "img1.jpg"), ImreadModes.Color);
            using var image = photo.Resize(new Size(width, height), 0, 0, InterpolationFlags.Area);
            using var tensor = new PooledInputTensor(2, tensorWidth, tensorHeight);
            tensor.Span.Fill(float.NaN);

            TensorPacking.Pack(image, input, tensor, 1);

            var plane = tensorWidth * tensorHeight;
            var values = tensor.Span;
            Assert.True(values[..(3 * plane)].ToArray().All(float.IsNaN), "packing slot 1 wrote into slot 0");
            for (var c = 0; c < 3; c++)
            {
                var source = input.ChannelOrder == "RGB" ? 2 - c : c;
                for (var y = 0; y < tensorHeight; y++)
                {
                    for (var x = 0; x < tensorWidth; x++)
                    {
                        var value = values[(3 * plane) + (c * plane) + (y * tensorWidth) + x];
                        if (x >= width || y >= height)
                        {
                            Assert.True(value == 0, $"{model}: padding at channel {c} ({x}, {y}) is {value}");
                            continue;
                        }

                        var expected = ((image.At<Vec3b>(y, x)[source] * input.Scale) - input.Mean[c]) / input.Std[c];
                        Assert.True(Math.Abs(value - expected) <= 1e-4f * Math.Max(1, Math.Abs(expected)),
                            $"{model}: channel {c} ({x}, {y}) is {value}, expected {expected}");
                    }
                }
            }
        }
    }
}
