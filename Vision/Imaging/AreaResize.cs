using System.Buffers;
using System.Runtime.Intrinsics;
using OpenCvSharp;

namespace FaceOrleans.Vision;

/// <summary>
/// <c>Cv2.Resize(..., InterpolationFlags.Area)</c> with the same pixels, faster where the pipeline spends its resize
/// time: an 8-bit BGR image shrunk by a ratio that is not a whole number (a 1600x1065 photo to the detector's 480).
/// </summary>
/// <remarks>
/// OpenCV's generic area resize walks a table of (source pixel, destination pixel, weight) entries with a scalar loop
/// that reads back the running sum it has just stored, one channel at a time, and splits the image over its own
/// threads: 11 % of the service's CPU at c=4 (issue 22, docs/load/tenth-pass.md), about 3.9 ms of CPU a shared photo
/// against 1.4 here (`ResizeBenchmarks`). This does the same float arithmetic in the same order: a destination pixel's
/// sum over its source columns starts from the first product and adds the next, in a source row; the rows' sums,
/// weighted by their heights, add up the same way; then rounding half to even and clamping. It keeps a pixel's three
/// channels in one half of a 256-bit vector (two destination columns at once), so the sums stay in registers, and it
/// runs on the caller's thread. The pixels equal OpenCV's byte for byte (AreaResizeTests: every shared photo at the
/// pipeline's sizes, odd sizes and ratios, a region of a larger image); whole-number ratios, enlarging and other
/// pixel types go to OpenCV itself.
/// </remarks>
internal static class AreaResize
{
    /// <summary>As <c>Cv2.Resize(src, dst, dsize, fx, fy, InterpolationFlags.Area)</c>: <paramref name="dsize"/>, or if it is empty the scale factors.</summary>
    public static void Resize(Mat src, Mat dst, Size dsize, double fx = 0, double fy = 0)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(dst);
        // cv::resize's own rules for the size and the ratios: the size wins when given, else rounded from the factors.
        var (width, height, inverseX, inverseY) = dsize.Width > 0 && dsize.Height > 0
            ? (dsize.Width, dsize.Height, (double)dsize.Width / src.Width, (double)dsize.Height / src.Height)
            : ((int)Math.Round(src.Width * fx), (int)Math.Round(src.Height * fy), fx, fy);
        double scaleX = 1 / inverseX, scaleY = 1 / inverseY;
        if (ReferenceEquals(src, dst) || !Handles(src, width, height, scaleX, scaleY))
        {
            Cv2.Resize(src, dst, dsize, fx, fy, InterpolationFlags.Area);
            return;
        }

        dst.Create(height, width, MatType.CV_8UC3);
        var columns = Taps.For(src.Width, width, scaleX);
        var rows = Taps.For(src.Height, height, scaleY);
        Shrink(src, dst, columns, rows);
    }

    /// <summary>Only the case OpenCV sends to its generic table-driven area resize, and only with vector hardware.</summary>
    private static bool Handles(Mat src, int width, int height, double scaleX, double scaleY) =>
        Vector128.IsHardwareAccelerated && Vector256.IsHardwareAccelerated && src.Type() == MatType.CV_8UC3 && width > 0 && height > 0
        && scaleX >= 1 && scaleY >= 1 && !(IsWhole(scaleX) && IsWhole(scaleY));

    /// <summary>OpenCV's test for a whole-number ratio, which it resizes by plain block averages instead.</summary>
    private static bool IsWhole(double scale) => Math.Abs(scale - Math.Round(scale)) < DblEpsilon;

    /// <summary>C's DBL_EPSILON (not .NET's <see cref="double.Epsilon"/>, the smallest subnormal).</summary>
    private const double DblEpsilon = 2.220446049250313e-16;

    private static unsafe void Shrink(Mat src, Mat dst, Taps columns, Taps rows)
    {
        int width = dst.Width, height = dst.Height, sourceWidth = src.Width;
        // OpenCV's row pointers once, not a native call a row.
        byte* source = (byte*)src.Data, target = (byte*)dst.Data;
        long sourceStep = src.Step(), targetStep = dst.Step();
        // Channel values as floats, three a pixel; the slack past the end lets every vector load read four floats
        // (the fourth is the next pixel's or zero) and lets a column's zero-weight padding taps read zeros.
        var slack = (columns.MaxCount * 3) + Vector256<float>.Count;
        var pool = ArrayPool<float>.Shared;
        var row = pool.Rent((sourceWidth * 3) + slack);
        var horizontal = pool.Rent((width * 3) + slack);
        var sum = pool.Rent((width * 3) + slack);
        try
        {
            Array.Clear(row);
            Array.Clear(horizontal);
            Array.Clear(sum);
            var lastRow = -1;
            fixed (float* r = row, h = horizontal, s = sum)
            {
                for (var dy = 0; dy < height; dy++)
                {
                    for (var tap = 0; tap < rows.CountOf(dy); tap++)
                    {
                        var (sy, beta) = rows.At(dy, tap);
                        if (sy != lastRow)
                        {
                            ToFloats(source + (sy * sourceStep), r, sourceWidth * 3);
                            SumColumns(r, columns, h, width);
                            lastRow = sy;
                        }

                        AddRow(s, h, beta, first: tap == 0, width * 3);
                    }

                    ToBytes(s, target + (dy * targetStep), width * 3);
                }
            }
        }
        finally
        {
            // They held a photo's pixels: none stays in a shared pool (docs/data-protection.md).
            pool.Return(row, clearArray: true);
            pool.Return(horizontal, clearArray: true);
            pool.Return(sum, clearArray: true);
        }
    }

    private static unsafe void ToFloats(byte* bytes, float* floats, int length)
    {
        var i = 0;
        for (; i <= length - Vector128<byte>.Count; i += Vector128<byte>.Count)
        {
            var (low, high) = Vector128.Widen(Vector128.Load(bytes + i));
            var (a, b) = Vector128.Widen(low);
            var (c, d) = Vector128.Widen(high);
            Vector128.Store(Vector128.ConvertToSingle(a.AsInt32()), floats + i);
            Vector128.Store(Vector128.ConvertToSingle(b.AsInt32()), floats + i + 4);
            Vector128.Store(Vector128.ConvertToSingle(c.AsInt32()), floats + i + 8);
            Vector128.Store(Vector128.ConvertToSingle(d.AsInt32()), floats + i + 12);
        }

        for (; i < length; i++)
        {
            floats[i] = bytes[i];
        }
    }

    /// <summary>
    /// Each destination column's weighted sum of its source pixels in one source row, a pixel's three channels in one
    /// vector: the first product, plus the second, plus the third... A padding tap's weight is 0, and adding its +0
    /// product leaves a non-negative sum as it was. Each store's fourth lane is overwritten by the next column's.
    /// </summary>
    private static unsafe void SumColumns(float* row, Taps columns, float* h, int width)
    {
        fixed (int* firsts = columns.First)
        fixed (float* weights = columns.Weight)
        fixed (float* pairs = columns.PairWeight)
        {
            var count = columns.MaxCount;
            var dx = 0;
            // Two columns at once: one in each half of a 256-bit vector, each half its own column's weight.
            for (; dx < width - 1; dx += 2)
            {
                float* a = row + (firsts[dx] * 3), b = row + (firsts[dx + 1] * 3);
                var w = pairs + (dx * count * 4);
                var acc = Vector256.Create(Vector128.Load(a), Vector128.Load(b)) * Vector256.Load(w);
                for (var k = 1; k < count; k++)
                {
                    acc += Vector256.Create(Vector128.Load(a + (k * 3)), Vector128.Load(b + (k * 3))) * Vector256.Load(w + (k * 8));
                }

                Vector128.Store(acc.GetLower(), h + (dx * 3));
                Vector128.Store(acc.GetUpper(), h + (dx * 3) + 3);
            }

            for (; dx < width; dx++)
            {
                var p = row + (firsts[dx] * 3);
                var w = weights + (dx * count);
                var acc = Vector128.Load(p) * Vector128.Create(w[0]);
                for (var k = 1; k < count; k++)
                {
                    acc += Vector128.Load(p + (k * 3)) * Vector128.Create(w[k]);
                }

                Vector128.Store(acc, h + (dx * 3));
            }
        }
    }

    /// <summary>Adds one source row's column sums, weighted by the share of the destination row it covers.</summary>
    private static unsafe void AddRow(float* sum, float* h, float beta, bool first, int length)
    {
        var weight = Vector256.Create(beta);
        for (var i = 0; i < length; i += Vector256<float>.Count)
        {
            var product = Vector256.Load(h + i) * weight;
            Vector256.Store(first ? product : Vector256.Load(sum + i) + product, sum + i);
        }
    }

    /// <summary>Rounds half to even and clamps to a byte, as OpenCV's saturate_cast does.</summary>
    private static unsafe void ToBytes(float* sum, byte* target, int length)
    {
        var i = 0;
        for (; i <= length - Vector256<byte>.Count; i += Vector256<byte>.Count)
        {
            var a = Rounded(Vector256.Load(sum + i));
            var b = Rounded(Vector256.Load(sum + i + 8));
            var c = Rounded(Vector256.Load(sum + i + 16));
            var d = Rounded(Vector256.Load(sum + i + 24));
            Vector256.Store(Vector256.Narrow(Vector256.Narrow(a, b), Vector256.Narrow(c, d)), target + i);
        }

        for (; i < length; i++)
        {
            target[i] = (byte)Math.Clamp((int)MathF.Round(sum[i]), 0, 255);
        }
    }

    private static Vector256<uint> Rounded(Vector256<float> value) =>
        Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round(value)), Vector256<int>.Zero), Vector256.Create(255)).AsUInt32();

    /// <summary>
    /// For each destination column (or row): the first source pixel it covers and the weights of that pixel and the
    /// ones after it, worked out in double precision exactly as OpenCV does, padded with zero weights to the same
    /// count for every column.
    /// </summary>
    private sealed class Taps
    {
        private readonly int[] _count;

        private float[]? _pairWeight;

        private Taps(int[] first, float[] weight, int[] count, int maxCount)
        {
            First = first;
            Weight = weight;
            _count = count;
            MaxCount = maxCount;
        }

        /// <summary>
        /// Columns 2i and 2i+1's k-th weights, each repeated four times: one 256-bit load for a pair's tap. Only the
        /// columns' table is read in pairs, so only it builds this, on first use.
        /// </summary>
        public float[] PairWeight => _pairWeight ??= Paired();

        public int[] First { get; }

        public float[] Weight { get; }

        public int MaxCount { get; }

        public int CountOf(int d) => _count[d];

        public (int Pixel, float Weight) At(int d, int k) => (First[d] + k, Weight[(d * MaxCount) + k]);

        private float[] Paired()
        {
            var pairs = new float[First.Length / 2 * MaxCount * 8];
            for (var d = 0; d + 1 < First.Length; d += 2)
            {
                for (var k = 0; k < MaxCount; k++)
                {
                    var at = (d * MaxCount * 4) + (k * 8);
                    pairs.AsSpan(at, 4).Fill(Weight[(d * MaxCount) + k]);
                    pairs.AsSpan(at + 4, 4).Fill(Weight[((d + 1) * MaxCount) + k]);
                }
            }

            return pairs;
        }

        public static Taps For(int sourceSize, int size, double scale)
        {
            // At most the whole part of the ratio plus two partly covered pixels.
            var maxCount = (int)Math.Ceiling(scale) + 2;
            var first = new int[size];
            var weight = new float[size * maxCount];
            var count = new int[size];
            for (var d = 0; d < size; d++)
            {
                var start = d * scale;
                var end = start + scale;
                var cell = Math.Min(scale, sourceSize - start);
                var from = (int)Math.Ceiling(start);
                var to = Math.Min((int)Math.Floor(end), sourceSize - 1);
                from = Math.Min(from, to);
                var n = 0;
                first[d] = from;
                if (from - start > 1e-3)
                {
                    first[d] = from - 1;
                    weight[(d * maxCount) + n++] = (float)((from - start) / cell);
                }

                for (var s = from; s < to; s++)
                {
                    weight[(d * maxCount) + n++] = (float)(1.0 / cell);
                }

                if (end - to > 1e-3)
                {
                    weight[(d * maxCount) + n++] = (float)(Math.Min(Math.Min(end - to, 1.0), cell) / cell);
                }

                count[d] = n;
            }

            var used = count.Max();
            if (used == maxCount)
            {
                return new Taps(first, weight, count, maxCount);
            }

            // Repack to the count actually used, so no column pays for taps no column has.
            var packed = new float[size * used];
            for (var d = 0; d < size; d++)
            {
                Array.Copy(weight, d * maxCount, packed, d * used, used);
            }

            return new Taps(first, packed, count, used);
        }
    }
}
