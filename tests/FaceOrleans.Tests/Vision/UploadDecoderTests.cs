using FaceOrleans.Vision;
using OpenCvSharp;

namespace FaceOrleans.Tests.Vision;

/// <summary>
/// A request's images are decoded side by side only while the pipeline's CPU work leaves a core free; either way the
/// same images come back in the same order, and the count of CPU work returns to where it was.
/// </summary>
public sealed class UploadDecoderTests
{
    private static readonly string[] Names = ["image1", "image2"];

    [Theory]
    [InlineData(2, 0, 2, 2)] // a lone request on two cores: both images at once
    [InlineData(2, 1, 2, 1)] // another decode or model call holds one of the two cores: one after the other
    [InlineData(2, 5, 2, 1)] // more work than cores: still the caller's own thread
    [InlineData(1, 0, 8, 1)] // one image never takes a second thread
    [InlineData(5, 0, 8, 5)] // never more threads than images
    [InlineData(5, 5, 8, 3)] // the free cores, not all of them
    public void Decoders_are_the_cores_the_work_leaves_free_between_one_and_one_per_image(int images, int busy, int cores, int expected) =>
        Assert.Equal(expected, UploadDecoder.DecodersFor(images, busy, cores));

    [Fact]
    public void With_every_core_busy_the_images_decode_one_at_a_time_and_equal_those_decoded_side_by_side()
    {
        var photos = new[] { TestPaths.Photo("img1.jpg"), TestPaths.Photo("img2.jpg") };
        var free = new ConcurrencyGauge();
        var saturated = new ConcurrencyGauge();
        var held = Hold(saturated, Environment.ProcessorCount);

        var sideBySide = UploadDecoder.DecodeEach(photos, Names, ImageLimits.Default, free);
        var oneByOne = UploadDecoder.DecodeEach(photos, Names, ImageLimits.Default, saturated);
        try
        {
            // Each decode is counted on the gauge while it runs, one at a time: the held work plus one.
            Assert.Equal(Environment.ProcessorCount + 1, saturated.Max);
            for (var i = 0; i < photos.Length; i++)
            {
                var a = sideBySide[i].Value!.Bgr;
                var b = oneByOne[i].Value!.Bgr;
                Assert.Equal(a.Size(), b.Size());
                Assert.Equal(0, Cv2.Norm(a, b, NormTypes.L1));
            }

            Assert.Equal(0, free.Current);
            Assert.Equal(Environment.ProcessorCount, saturated.Current);
        }
        finally
        {
            Disposables.DisposeAll(held.Concat(sideBySide.Concat(oneByOne).Select(r => r.Value)));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    public void A_refused_image_is_named_in_its_slot_and_leaves_no_work_counted(int busy)
    {
        var photo = TestPaths.Photo("img1.jpg");
        var gauge = new ConcurrencyGauge();
        var held = Hold(gauge, busy);

        var results = UploadDecoder.DecodeEach([photo, photo[..(photo.Length / 2)]], Names, ImageLimits.Default, gauge);
        try
        {
            Assert.Null(results[0].Rejection);
            Assert.NotNull(results[0].Value);
            Assert.Equal(RejectionCode.CorruptImage, results[1].Rejection?.Code);
            Assert.StartsWith("image2: ", results[1].Rejection!.Message, StringComparison.Ordinal);
            Assert.Equal(busy, gauge.Current);
        }
        finally
        {
            Disposables.DisposeAll(held.Concat(results.Select(r => r.Value)));
        }
    }

    /// <summary>Work that holds <paramref name="count"/> of the gauge's count until disposed, as other requests' decodes and model calls would.</summary>
    private static IDisposable[] Hold(ConcurrencyGauge gauge, int count) =>
        Enumerable.Range(0, count).Select(_ => (IDisposable)gauge.Enter()).ToArray();
}
