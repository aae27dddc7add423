using System.Buffers.Binary;

namespace FaceOrleans.Vision;

/// <summary>
/// Format and stored dimensions read from the first bytes of an encoded image, so that a
/// decompression bomb (a tiny file declaring a huge canvas) is refused before any pixel is allocated.
/// Dimensions are as stored, before EXIF orientation.
/// </summary>
public readonly record struct ImageHeader(ImageFormat Format, int Width, int Height)
{
    public long Pixels => (long)Width * Height;

    public static ImageHeader Read(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new RequestRejectedException(RejectionCode.EmptyImage, null, "The upload is empty.");
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return ReadJpeg(data);
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return ReadPng(data);
        }

        if (data.Length >= 2 && data[0] == (byte)'B' && data[1] == (byte)'M')
        {
            return ReadBmp(data);
        }

        if (data.Length >= 12 && data[..4].SequenceEqual("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
        {
            return ReadWebP(data);
        }

        throw new RequestRejectedException(RejectionCode.NotAnImage, null,
            "The upload is not a supported image; send JPEG, PNG, BMP or WebP.");
    }

    private static ImageHeader ReadPng(ReadOnlySpan<byte> data)
    {
        if (data.Length < 24 || !data[12..16].SequenceEqual("IHDR"u8))
        {
            throw Corrupt("PNG", "it has no IHDR header");
        }

        return Checked(ImageFormat.Png,
            BinaryPrimitives.ReadUInt32BigEndian(data[16..]), BinaryPrimitives.ReadUInt32BigEndian(data[20..]));
    }

    private static ImageHeader ReadBmp(ReadOnlySpan<byte> data)
    {
        if (data.Length < 26)
        {
            throw Corrupt("BMP", "its header is cut short");
        }

        // Height is negative for top-down bitmaps.
        var height = BinaryPrimitives.ReadInt32LittleEndian(data[22..]);
        return Checked(ImageFormat.Bmp,
            (uint)Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(data[18..])), (uint)Math.Abs((long)height));
    }

    private static ImageHeader ReadWebP(ReadOnlySpan<byte> data)
    {
        if (data.Length < 30)
        {
            throw Corrupt("WebP", "its header is cut short");
        }

        var chunk = data[12..16];
        if (chunk.SequenceEqual("VP8 "u8))
        {
            return Checked(ImageFormat.WebP,
                BinaryPrimitives.ReadUInt16LittleEndian(data[26..]) & 0x3FFFu,
                BinaryPrimitives.ReadUInt16LittleEndian(data[28..]) & 0x3FFFu);
        }

        if (chunk.SequenceEqual("VP8L"u8))
        {
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(data[21..]);
            return Checked(ImageFormat.WebP, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
        }

        if (chunk.SequenceEqual("VP8X"u8))
        {
            uint width = 1 + (data[24] | ((uint)data[25] << 8) | ((uint)data[26] << 16));
            uint height = 1 + (data[27] | ((uint)data[28] << 8) | ((uint)data[29] << 16));
            return Checked(ImageFormat.WebP, width, height);
        }

        throw Corrupt("WebP", "its first chunk is not VP8, VP8L or VP8X");
    }

    private static ImageHeader ReadJpeg(ReadOnlySpan<byte> data)
    {
        int pos = 2;
        uint width = 0, height = 0;
        while (pos + 4 <= data.Length)
        {
            if (data[pos] != 0xFF)
            {
                throw Corrupt("JPEG", "its segment structure is broken");
            }

            byte marker = data[pos + 1];
            if (marker == 0xFF)
            {
                pos++; // fill byte
                continue;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                pos += 2;
                continue;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]);
            if (IsStartOfFrame(marker) && pos + 9 <= data.Length)
            {
                height = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 5)..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 7)..]);
            }

            if (marker == 0xDA)
            {
                if (width == 0 || height == 0)
                {
                    throw Corrupt("JPEG", "it has no frame header before its image data");
                }

                // Entropy-coded data can never contain FF D9 (FF is always stuffed), and an EXIF
                // thumbnail's end marker sits before this scan, so a missing EOI here means the file was cut.
                if (data[(pos + 2)..].LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) < 0)
                {
                    throw Corrupt("JPEG", "it is truncated (no end-of-image marker)");
                }

                return Checked(ImageFormat.Jpeg, width, height);
            }

            pos += 2 + length;
        }

        throw Corrupt("JPEG", "it is truncated before its image data");
    }

    private static bool IsStartOfFrame(byte marker) =>
        marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;

    private static ImageHeader Checked(ImageFormat format, uint width, uint height)
    {
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
        {
            throw Corrupt(format.ToString().ToUpperInvariant(), $"it declares an impossible size {width}x{height}");
        }

        return new ImageHeader(format, (int)width, (int)height);
    }

    private static RequestRejectedException Corrupt(string format, string why) =>
        new(RejectionCode.CorruptImage, null, $"The upload looks like a {format} image but cannot be decoded: {why}.");
}
