using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// The scan's inner loop: the integer dot product of a face's int8 codes with a query's int16 codes. One
/// kernel per instruction set, each exact (integer arithmetic, no rounding), so every path returns the same
/// number; the dispatcher picks the widest the CPU has. Widening int8 to int16 and multiply-adding pairs
/// (<c>vpmovsxbw</c> + <c>vpmaddwd</c>) keeps the query at 16-bit precision, which is what keeps the error bound
/// of the approximate score tight; the scan is bound by memory bandwidth, not by these instructions.
/// </summary>
public static class Int8Kernels
{
    /// <summary>Σ codes[j]·query[j]. The caller keeps |Σ| below 2³¹ (see <see cref="QuantizedQuery.MaxCode"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot(ref sbyte codes, ref short query, int length)
    {
        if (Avx512BW.IsSupported)
        {
            return DotAvx512(ref codes, ref query, length);
        }

        if (Avx2.IsSupported)
        {
            return DotAvx2(ref codes, ref query, length);
        }

        return Vector128.IsHardwareAccelerated ? DotVector128(ref codes, ref query, length) : DotScalar(ref codes, ref query, 0, length, 0);
    }

    public static int Dot(ReadOnlySpan<sbyte> codes, ReadOnlySpan<short> query)
    {
        Check(codes, query);
        return Dot(ref Unsafe.AsRef(in codes[0]), ref Unsafe.AsRef(in query[0]), codes.Length);
    }

    /// <summary>AVX-512BW: 32 products per step.</summary>
    public static int DotAvx512(ReadOnlySpan<sbyte> codes, ReadOnlySpan<short> query)
    {
        Check(codes, query);
        return DotAvx512(ref Unsafe.AsRef(in codes[0]), ref Unsafe.AsRef(in query[0]), codes.Length);
    }

    /// <summary>AVX2: 16 products per step.</summary>
    public static int DotAvx2(ReadOnlySpan<sbyte> codes, ReadOnlySpan<short> query)
    {
        Check(codes, query);
        return DotAvx2(ref Unsafe.AsRef(in codes[0]), ref Unsafe.AsRef(in query[0]), codes.Length);
    }

    /// <summary>Portable 128-bit vectors (SSE, NEON, WebAssembly SIMD).</summary>
    public static int DotVector128(ReadOnlySpan<sbyte> codes, ReadOnlySpan<short> query)
    {
        Check(codes, query);
        return DotVector128(ref Unsafe.AsRef(in codes[0]), ref Unsafe.AsRef(in query[0]), codes.Length);
    }

    public static int DotScalar(ReadOnlySpan<sbyte> codes, ReadOnlySpan<short> query)
    {
        Check(codes, query);
        return DotScalar(ref Unsafe.AsRef(in codes[0]), ref Unsafe.AsRef(in query[0]), 0, codes.Length, 0);
    }

    private static int DotAvx512(ref sbyte codes, ref short query, int length)
    {
        var sum = Vector512<int>.Zero;
        var i = 0;
        for (; i <= length - Vector512<short>.Count; i += Vector512<short>.Count)
        {
            var x = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref codes, (nuint)i));
            sum += Avx512BW.MultiplyAddAdjacent(x, Vector512.LoadUnsafe(ref query, (nuint)i));
        }

        return DotScalar(ref codes, ref query, i, length, Vector512.Sum(sum));
    }

    private static int DotAvx2(ref sbyte codes, ref short query, int length)
    {
        var sum = Vector256<int>.Zero;
        var i = 0;
        for (; i <= length - Vector256<short>.Count; i += Vector256<short>.Count)
        {
            var x = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref codes, (nuint)i));
            sum += Avx2.MultiplyAddAdjacent(x, Vector256.LoadUnsafe(ref query, (nuint)i));
        }

        return DotScalar(ref codes, ref query, i, length, Vector256.Sum(sum));
    }

    private static int DotVector128(ref sbyte codes, ref short query, int length)
    {
        var sum = Vector128<int>.Zero;
        var i = 0;
        for (; i <= length - Vector128<sbyte>.Count; i += Vector128<sbyte>.Count)
        {
            var (low, high) = Vector128.Widen(Vector128.LoadUnsafe(ref codes, (nuint)i));
            sum += MultiplyWidening(low, Vector128.LoadUnsafe(ref query, (nuint)i))
                + MultiplyWidening(high, Vector128.LoadUnsafe(ref query, (nuint)(i + Vector128<short>.Count)));
        }

        return DotScalar(ref codes, ref query, i, length, Vector128.Sum(sum));
    }

    private static Vector128<int> MultiplyWidening(Vector128<short> x, Vector128<short> y)
    {
        var (xLow, xHigh) = Vector128.Widen(x);
        var (yLow, yHigh) = Vector128.Widen(y);
        return (xLow * yLow) + (xHigh * yHigh);
    }

    private static int DotScalar(ref sbyte codes, ref short query, int from, int length, int sum)
    {
        for (var i = from; i < length; i++)
        {
            sum += Unsafe.Add(ref codes, i) * Unsafe.Add(ref query, i);
        }

        return sum;
    }

    private static void Check(ReadOnlySpan<sbyte> codes, ReadOnlySpan<short> query)
    {
        if (codes.Length != query.Length || codes.IsEmpty)
        {
            throw new ArgumentException($"Codes ({codes.Length}) and query ({query.Length}) must have the same, non-zero length.");
        }
    }
}
