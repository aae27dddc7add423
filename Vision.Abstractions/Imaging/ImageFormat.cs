namespace FaceOrleans.Vision;

/// <summary>The encodings an upload may use.</summary>
public enum ImageFormat
{
    Jpeg,
    Png,
    Bmp,
    WebP,
}
