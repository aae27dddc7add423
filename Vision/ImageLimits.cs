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
}
