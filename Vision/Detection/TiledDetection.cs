using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>
/// One image prepared for <see cref="DetectionMode.Thorough"/>: the image itself and overlapping tiles of a copy
/// magnified so that every face is seen at least twice as large as the one-pass detector sees it. The tiles are
/// views into the copy (crops, no pixels copied); all go through the detector's ordinary batched call, and
/// <see cref="Merge"/> places the tiles' faces back in the image.
/// </summary>
public sealed class TiledDetection : IDisposable
{
    /// <summary>The side of a tile: the detector's input, so a tile reaches it unscaled.</summary>
    public const int TileSide = 640;

    /// <summary>
    /// Neighbouring tiles share this many pixels, so a face up to this size lies whole in some tile; larger ones
    /// are the whole-image pass's (at the smallest magnification, 160 px in a tile is 80 px in a fast pass's input).
    /// </summary>
    public const int Overlap = 160;

    /// <summary>The magnified copy's long side is at least this: twice the detector's input.</summary>
    private const int MinMagnifiedSide = 2 * TileSide;

    /// <summary>A tile's face this close to a tile edge that is not the image's edge may be cut off; the neighbour sees it whole.</summary>
    private const float EdgeMargin = 2;

    private readonly Mat _image;
    private readonly Mat? _magnified;
    private readonly Rect[] _tiles;
    private readonly Mat[] _views;

    private TiledDetection(Mat image, Mat? magnified, double scale, Rect[] tiles)
    {
        _image = image;
        _magnified = magnified;
        Scale = scale;
        _tiles = tiles;
        _views = tiles.Select(t => new Mat(magnified ?? image, t)).ToArray();
    }

    /// <summary>The magnification of the tiled copy (1 when the image's long side already reaches 1280 px).</summary>
    public double Scale { get; }

    /// <summary>The tiles to detect on, in the copy's pixels.</summary>
    public IReadOnlyList<Mat> Tiles => _views;

    /// <summary>Plans the tiles of <paramref name="image"/> (8-bit BGR, left untouched and owned by the caller).</summary>
    public static TiledDetection Plan(Mat image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var scale = Math.Max(1.0, (double)MinMagnifiedSide / Math.Max(image.Width, image.Height));
        Mat? magnified = null;
        if (scale > 1)
        {
            magnified = new Mat();
            Cv2.Resize(image, magnified, new Size(0, 0), scale, scale, InterpolationFlags.Linear);
        }

        var source = magnified ?? image;
        var (width, height) = (source.Width, source.Height);
        var tiles = (from y in Starts(height) from x in Starts(width)
                     select new Rect(x, y, Math.Min(TileSide, width - x), Math.Min(TileSide, height - y))).ToArray();
        return new TiledDetection(image, magnified, scale, tiles);
    }

    /// <summary>
    /// The faces of the whole-image pass, and those of the tiles that are neither cut by a tile edge nor larger than
    /// the overlap nor inside a face already kept, in the image's pixels, merged by the detector's NMS rule.
    /// </summary>
    /// <param name="whole">What the detector found in the image itself.</param>
    /// <param name="perTile">What it found in each of <see cref="Tiles"/>, in order.</param>
    /// <param name="nmsIou">Boxes overlapping more than this are one face (the detector's own setting).</param>
    public IReadOnlyList<DetectedFace> Merge(IReadOnlyList<DetectedFace> whole, IReadOnlyList<IReadOnlyList<DetectedFace>> perTile, float nmsIou)
    {
        ArgumentNullException.ThrowIfNull(whole);
        ArgumentNullException.ThrowIfNull(perTile);
        if (perTile.Count != _tiles.Length)
        {
            throw new ArgumentException($"Expected the faces of {_tiles.Length} tiles, got {perTile.Count}.", nameof(perTile));
        }

        var (width, height) = ((_magnified ?? _image).Width, (_magnified ?? _image).Height);
        var fromTiles = new List<DetectedFace>();
        for (var t = 0; t < _tiles.Length; t++)
        {
            var tile = _tiles[t];
            fromTiles.AddRange(perTile[t]
                .Where(f => f.Box.Width <= Overlap && f.Box.Height <= Overlap && !CutByTileEdge(f.Box, tile, width, height))
                .Select(f => f.Offset(tile.X, tile.Y).Scale(1 / Scale)));
        }

        // The whole-image faces first: a tile's part of a large face (an eye pair, a mouth) is not another face.
        var kept = whole.ToList();
        var extra = fromTiles.Where(f => !kept.Exists(k => Inside(f.Box, k.Box))).OrderByDescending(f => f.Score).ToList();
        return RetinaFaceDetector.NonMaximumSuppression([.. kept.OrderByDescending(f => f.Score), .. extra], nmsIou);
    }

    public void Dispose()
    {
        foreach (var view in _views)
        {
            view.Dispose();
        }

        _magnified?.Dispose();
    }

    /// <summary>Tile origins along one side: every <c>TileSide − Overlap</c> pixels, the last flush with the far edge.</summary>
    private static IEnumerable<int> Starts(int length)
    {
        if (length <= TileSide)
        {
            yield return 0;
            yield break;
        }

        for (var start = 0; ; start += TileSide - Overlap)
        {
            if (start + TileSide >= length)
            {
                yield return length - TileSide;
                yield break;
            }

            yield return start;
        }
    }

    private static bool CutByTileEdge(FaceBox box, Rect tile, int width, int height) =>
        (tile.X > 0 && box.Left <= EdgeMargin)
        || (tile.Y > 0 && box.Top <= EdgeMargin)
        || (tile.X + tile.Width < width && box.Right >= tile.Width - EdgeMargin)
        || (tile.Y + tile.Height < height && box.Bottom >= tile.Height - EdgeMargin);

    /// <summary>Whether most of <paramref name="inner"/> lies within <paramref name="outer"/>.</summary>
    private static bool Inside(FaceBox inner, FaceBox outer)
    {
        var width = Math.Min(inner.Right, outer.Right) - Math.Max(inner.Left, outer.Left);
        var height = Math.Min(inner.Bottom, outer.Bottom) - Math.Max(inner.Top, outer.Top);
        return width > 0 && height > 0 && width * height >= 0.5f * inner.Area;
    }
}
