using OpenCvSharp;

namespace FaceOrleans.Vision.Evaluation;

/// <summary>
/// A group photo with a known number of small faces, made from single portraits: the shared photos hold no crowd
/// whose small faces could be counted, so thorough detection is measured on this. Each portrait is scaled so its
/// eyes are <c>interEye</c> pixels apart, cut to a head-and-shoulders cell around the face, and placed on a grid
/// with empty space between cells, the way a wide shot of a crowd shows many small heads in a large frame.
/// </summary>
public sealed class CrowdMosaic : IDisposable
{
    private CrowdMosaic(Mat image, IReadOnlyList<Rect> cells)
    {
        Image = image;
        Cells = cells;
    }

    /// <summary>The mosaic, 8-bit BGR.</summary>
    public Mat Image { get; }

    /// <summary>Where each face's cell lies: one face per cell.</summary>
    public IReadOnlyList<Rect> Cells { get; }

    /// <param name="portraits">Photos with the eyes of the face to place (8-bit BGR; left untouched).</param>
    /// <param name="columns">Cells per row.</param>
    /// <param name="interEye">Pixels between the eyes of every placed face.</param>
    /// <param name="spacing">Empty space between neighbouring cells, in cells.</param>
    public static CrowdMosaic Build(IReadOnlyList<(Mat Bgr, FacePoint LeftEye, FacePoint RightEye)> portraits, int columns, double interEye, double spacing = 1)
    {
        ArgumentNullException.ThrowIfNull(portraits);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(interEye, 4);
        // A cell is five eye distances wide: the head with a little of the background around it.
        var side = (int)Math.Round(5 * interEye);
        var pitch = (int)Math.Round(side * (1 + spacing));
        var rows = (portraits.Count + columns - 1) / columns;
        var image = new Mat(new Size((columns * pitch) + side, (rows * pitch) + side), MatType.CV_8UC3, new Scalar(110, 110, 110));
        var cells = new List<Rect>(portraits.Count);
        for (var i = 0; i < portraits.Count; i++)
        {
            var (bgr, left, right) = portraits[i];
            var scale = interEye / Math.Sqrt(Math.Pow(right.X - left.X, 2) + Math.Pow(right.Y - left.Y, 2));
            using var scaled = new Mat();
            Cv2.Resize(bgr, scaled, new Size(0, 0), scale, scale, InterpolationFlags.Area);
            // The eyes sit 40 % down the cell, centred across it.
            var (eyesX, eyesY) = ((left.X + right.X) / 2 * scale, (left.Y + right.Y) / 2 * scale);
            var source = new Rect((int)Math.Round(eyesX - (side / 2.0)), (int)Math.Round(eyesY - (0.4 * side)), side, side);
            var cell = new Rect(side / 2 + (i % columns * pitch), side / 2 + (i / columns * pitch), side, side);
            using var padded = new Mat();
            // Replicate the edge where the cell reaches past the photo (a face near its border).
            var (padLeft, padTop) = (Math.Max(0, -source.X), Math.Max(0, -source.Y));
            var (padRight, padBottom) = (Math.Max(0, source.Right - scaled.Width), Math.Max(0, source.Bottom - scaled.Height));
            Cv2.CopyMakeBorder(scaled, padded, padTop, padBottom, padLeft, padRight, BorderTypes.Replicate);
            using var from = new Mat(padded, new Rect(source.X + padLeft, source.Y + padTop, side, side));
            using var to = new Mat(image, cell);
            from.CopyTo(to);
            cells.Add(cell);
        }

        return new CrowdMosaic(image, cells);
    }

    public void Dispose() => Image.Dispose();
}
