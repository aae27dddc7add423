using System.Buffers.Binary;
using FaceOrleans.Vision;
using OpenCvSharp;

namespace FaceOrleans.Tests.Vision;

[Collection(SharedVisionModels.Name)]
public sealed class ImageInputTests(VisionFixture fixture)
{
    [Fact]
    public void Empty_upload_is_refused()
    {
        var ex = Assert.Throws<RequestRejectedException>(() => ImageDecoder.Decode([], ImageLimits.Default));
        Assert.Equal(RejectionCode.EmptyImage, ex.Code);
    }

    [Fact]
    public void Random_bytes_are_not_an_image()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        var ex = Assert.Throws<RequestRejectedException>(() => ImageDecoder.Decode(bytes, ImageLimits.Default));
        Assert.Equal(RejectionCode.NotAnImage, ex.Code);
    }

    [Fact]
    public void Truncated_jpeg_is_refused_as_corrupt()
    {
        var photo = TestPaths.Photo("img1.jpg");
        var ex = Assert.Throws<RequestRejectedException>(() => ImageDecoder.Decode(photo[..(photo.Length / 2)], ImageLimits.Default));
        Assert.Equal(RejectionCode.CorruptImage, ex.Code);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Png_with_garbage_pixel_data_is_refused_as_corrupt()
    {
        var bytes = PngHeader(64, 64).Concat(new byte[200]).ToArray();
        var ex = Assert.Throws<RequestRejectedException>(() => ImageDecoder.Decode(bytes, ImageLimits.Default));
        Assert.Equal(RejectionCode.CorruptImage, ex.Code);
    }

    [Fact]
    public void One_pixel_image_is_too_small()
    {
        using var pixel = new Mat(1, 1, MatType.CV_8UC3, Scalar.All(200));
        var ex = Assert.Throws<RequestRejectedException>(() => ImageDecoder.Decode(pixel.ImEncode(".png"), ImageLimits.Default));
        Assert.Equal(RejectionCode.ImageTooSmall, ex.Code);
    }

    [Fact]
    public void Png_declaring_100000_by_100000_is_refused_from_its_header_without_allocating()
    {
        var bomb = PngHeader(100_000, 100_000);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var ex = Assert.Throws<RequestRejectedException>(() => ImageDecoder.Decode(bomb, ImageLimits.Default));

        Assert.Equal(RejectionCode.ImageTooLarge, ex.Code);
        Assert.Contains("100000x100000", ex.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
    }

    [Fact]
    public void Pixel_limit_is_configurable()
    {
        var photo = TestPaths.Photo("img1.jpg"); // 1382x1868, 2.6 megapixels
        var ex = Assert.Throws<RequestRejectedException>(() => ImageDecoder.Decode(photo, new ImageLimits { MaxPixels = 2_000_000 }));
        Assert.Equal(RejectionCode.ImageTooLarge, ex.Code);
        using var decoded = ImageDecoder.Decode(photo, new ImageLimits { MaxPixels = 3_000_000 });
        Assert.False(decoded.Bgr.Empty());
    }

    [Theory]
    [InlineData(".png")]
    [InlineData(".bmp")]
    [InlineData(".webp")]
    [InlineData(".jpg")]
    public async Task Every_supported_format_decodes_and_shows_the_face(string extension)
    {
        using var decoded = ImageDecoder.Decode(TestPaths.Photo("img12.jpg"), ImageLimits.Default);
        var encoded = decoded.Bgr.ImEncode(extension);

        var header = ImageHeader.Read(encoded);
        Assert.Equal((decoded.Bgr.Width, decoded.Bgr.Height), (header.Width, header.Height));
        Assert.Single((await fixture.Pipeline.DetectAsync([encoded], fixture.Defaults))[0]);
    }

    [Fact]
    public async Task Large_photo_is_downscaled_for_work_but_reported_in_original_pixels()
    {
        var photo = TestPaths.Photo("img40.jpg"); // 3061x4600
        using var decoded = ImageDecoder.Decode(photo, ImageLimits.Default);
        Assert.True(Math.Max(decoded.Bgr.Width, decoded.Bgr.Height) <= ImageLimits.Default.MaxWorkingSide);

        var small = Assert.Single((await fixture.Pipeline.DetectAsync([photo], fixture.Defaults))[0]);
        var full = Assert.Single((await fixture.Pipeline.DetectAsync([photo], fixture.Defaults with { Limits = new ImageLimits { MaxWorkingSide = 5000 } }))[0]);
        for (var k = 0; k < DetectedFace.LandmarkCount; k++)
        {
            Assert.Equal(full.Landmarks[k].X, small.Landmarks[k].X, 4600 * 0.01);
            Assert.Equal(full.Landmarks[k].Y, small.Landmarks[k].Y, 4600 * 0.01);
        }
    }

    [Fact]
    public async Task A_small_face_in_a_large_jpeg_is_aligned_on_a_full_detail_decode()
    {
        // img12's 190 px face on a 4000x3000 JPEG: decoded down to 1/4 (1000 px) the face is 48 px, under the recognizer's 112.
        using var portrait = ImageDecoder.Decode(TestPaths.Photo("img12.jpg"), ImageLimits.Default);
        using var canvas = new Mat(3000, 4000, MatType.CV_8UC3, new Scalar(128, 128, 128));
        using (var region = new Mat(canvas, new Rect(1700, 1300, portrait.Bgr.Width, portrait.Bgr.Height)))
        {
            portrait.Bgr.CopyTo(region);
        }

        var bytes = canvas.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, 95));
        using var reduced = ImageDecoder.Decode(bytes, ImageLimits.Default);
        using var detailed = ImageDecoder.Decode(bytes, ImageLimits.Default.FullDetail);
        Assert.True(reduced.LostDetail);
        Assert.Equal(1000, Math.Max(reduced.Bgr.Width, reduced.Bgr.Height));
        Assert.False(detailed.LostDetail);

        // Only requests for the most prominent face decode reduced; the others work at full detail from the start.
        var face = Assert.Single((await fixture.Pipeline.EmbedAsync([bytes], fixture.Defaults, prominentFaceFirst: true))[0]);
        var onDetail = (await fixture.Pipeline.EmbedFacesAsync([(detailed.Bgr, face.Face.Scale(1 / detailed.ScaleToOriginal))]))[0];
        var onReduced = (await fixture.Pipeline.EmbedFacesAsync([(reduced.Bgr, face.Face.Scale(1 / reduced.ScaleToOriginal))]))[0];
        Assert.Equal(1.0, FaceRecognizer.Similarity(face.Embedding, onDetail), 3);
        Assert.True(FaceRecognizer.Similarity(face.Embedding, onReduced) < 0.999f, "the reduced decode would have given the same embedding");
    }

    [Fact]
    public async Task Exif_orientation_is_honoured()
    {
        // Store the portrait lying on its side and tag it "rotate 90° clockwise to display", as phones do.
        using var upright = ImageDecoder.Decode(TestPaths.Photo("img12.jpg"), ImageLimits.Default);
        using var sideways = new Mat();
        Cv2.Rotate(upright.Bgr, sideways, RotateFlags.Rotate90Counterclockwise);
        var tagged = WithExifOrientation(sideways.ImEncode(".jpg"), 6);

        using var decoded = ImageDecoder.Decode(tagged, ImageLimits.Default);
        Assert.Equal((upright.Bgr.Width, upright.Bgr.Height), (decoded.Bgr.Width, decoded.Bgr.Height));

        var face = Assert.Single((await fixture.Pipeline.DetectAsync([tagged], fixture.Defaults))[0]);
        var reference = Assert.Single((await fixture.Pipeline.DetectAsync([upright.Bgr.ImEncode(".jpg")], fixture.Defaults))[0]);
        for (var k = 0; k < DetectedFace.LandmarkCount; k++)
        {
            Assert.Equal(reference.Landmarks[k].X, face.Landmarks[k].X, 3.0);
            Assert.Equal(reference.Landmarks[k].Y, face.Landmarks[k].Y, 3.0);
        }
    }

    /// <summary>A valid PNG signature and IHDR chunk (with CRC) declaring the given size, and nothing else.</summary>
    public static byte[] PngHeader(int width, int height)
    {
        var ihdr = new byte[17];
        "IHDR"u8.CopyTo(ihdr);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(8), height);
        ihdr[12] = 8; // bit depth
        ihdr[13] = 2; // truecolour
        var chunk = new byte[4 + 17 + 4];
        BinaryPrimitives.WriteInt32BigEndian(chunk, 13);
        ihdr.CopyTo(chunk, 4);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(21), System.IO.Hashing.Crc32.HashToUInt32(ihdr));
        return [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. chunk];
    }

    /// <summary>Inserts a minimal little-endian EXIF APP1 segment holding only the orientation tag.</summary>
    private static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] tiff =
        [
            (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, // header, first IFD at offset 8
            1, 0, // one entry
            0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte)orientation, (byte)(orientation >> 8), 0, 0, // Orientation, SHORT, 1
            0, 0, 0, 0, // no next IFD
        ];
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        var length = payload.Length + 2;
        byte[] app1 = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }
}
