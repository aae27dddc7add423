using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// A query prepared for the int8 scan: int16 codes with one scale, and the two coefficients that turn a
/// face's stored error and norm into a guaranteed bound on how far the approximate score can be from the exact
/// float32 one.
/// </summary>
/// <remarks>
/// With x̂ = s·c (the face) and q̂ = t·k (the query), the scan computes A = fl(fl(s·t)·fl(Σ c_j k_j)); the integer
/// sum is exact. The exact float32 score F = fl(q·x) (TensorPrimitives.Dot, any summation order) satisfies
/// <code>
/// |F − A| ≤ |F − q·x| + |q·(x − x̂)| + |(q − q̂)·x̂| + |q̂·x̂ − A|
///         ≤ γ_d‖q‖‖x‖ + ‖q‖e + ‖r‖(‖x‖ + e) + 3.01u‖q̂‖(‖x‖ + e)      (Cauchy–Schwarz, e = ‖x − x̂‖, r = q − q̂)
/// </code>
/// with u = 2⁻²⁴ and γ_d = d·u / (1 − d·u). Collecting terms gives slack = α·e + β·‖x‖, where α and β depend on
/// the query only; both carry a margin of 16u(‖q‖ + ‖q̂‖) for the float rounding of the slack and of A ± slack
/// themselves, and are rounded up. So A − slack ≤ F ≤ A + slack for every face, whatever the data.
/// </remarks>
public sealed class QuantizedQuery
{
    private const double UnitRoundoff = 1.0 / (1 << 24);

    public QuantizedQuery(float[] vector)
    {
        Vector = vector;
        Codes = new short[vector.Length];
        var maxCode = MaxCode(vector.Length);
        var maxAbs = Int8Codec.MaxAbs(vector);
        Scale = maxAbs / maxCode;
        var inverse = maxAbs > 0 ? maxCode / maxAbs : 0f;
        double norm = 0, residual = 0, codeNorm = 0;
        for (var j = 0; j < vector.Length; j++)
        {
            var code = (short)Math.Clamp((int)MathF.Round(vector[j] * inverse), -maxCode, maxCode);
            Codes[j] = code;
            var r = vector[j] - ((double)Scale * code);
            residual += r * r;
            norm += (double)vector[j] * vector[j];
            codeNorm += (double)code * code;
        }

        var queryNorm = Math.Sqrt(norm) * (1 + (4 * UnitRoundoff));
        var residualNorm = Math.Sqrt(residual) * (1 + (4 * UnitRoundoff));
        var quantizedNorm = Scale * Math.Sqrt(codeNorm) * (1 + (4 * UnitRoundoff));
        var d = vector.Length * UnitRoundoff;
        var gamma = d / (1 - d);
        var rounding = 16 * UnitRoundoff * (queryNorm + quantizedNorm);
        Alpha = Int8Codec.RoundUp(queryNorm + residualNorm + rounding);
        Beta = Int8Codec.RoundUp((gamma * queryNorm) + residualNorm + rounding);
    }

    /// <summary>The query as given: exact scores are computed from it.</summary>
    public float[] Vector { get; }

    public short[] Codes { get; }

    public float Scale { get; }

    /// <summary>Coefficient of a face's quantisation error in its slack.</summary>
    public float Alpha { get; }

    /// <summary>Coefficient of a face's norm in its slack.</summary>
    public float Beta { get; }

    public ref short FirstCode => ref MemoryMarshal.GetArrayDataReference(Codes);

    /// <summary>The approximate score A of a face from its codes and scale (the scan's inner step).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Approximate(ref sbyte codes, float scale) => Scale * scale * Int8Kernels.Dot(ref codes, ref FirstCode, Codes.Length);

    /// <summary>The slack S of a face: its exact score lies within A ± S.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Slack(float error, float norm) => (Alpha * error) + (Beta * norm);

    /// <summary>
    /// The largest int16 code such that Σ|c_j·k_j| ≤ d·127·k_max stays below 2³¹ for any faces: the int32 sum
    /// then never overflows. 32767 up to 516 dimensions.
    /// </summary>
    public static short MaxCode(int dimension) => (short)Math.Min(short.MaxValue, int.MaxValue / (Int8Codec.MaxCode * (long)dimension));
}
