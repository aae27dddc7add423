namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// Int8 codes of a stored embedding with one scale per vector: x ≈ x̂ = scale·codes. Alongside the codes the
/// index keeps two numbers that make the approximate score provably bounded: the quantisation error
/// ‖x − x̂‖ and the norm ‖x‖, both rounded up.
/// </summary>
public static class Int8Codec
{
    public const int MaxCode = 127;

    /// <summary>Writes <paramref name="codes"/> and returns (scale, ‖x − x̂‖, ‖x‖), the last two rounded up.</summary>
    public static (float Scale, float Error, float Norm) Encode(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        var maxAbs = MaxAbs(vector);
        var scale = maxAbs / MaxCode;
        var inverse = maxAbs > 0 ? MaxCode / maxAbs : 0f;
        double error = 0, norm = 0;
        for (var j = 0; j < vector.Length; j++)
        {
            var code = (int)MathF.Round(vector[j] * inverse);
            codes[j] = (sbyte)Math.Clamp(code, -MaxCode, MaxCode);
            var residual = vector[j] - ((double)scale * codes[j]);
            error += residual * residual;
            norm += (double)vector[j] * vector[j];
        }

        return (scale, RoundUp(Math.Sqrt(error)), RoundUp(Math.Sqrt(norm)));
    }

    /// <summary>The largest |x_j|; throws on NaN or infinity, which no score could rank.</summary>
    internal static float MaxAbs(ReadOnlySpan<float> vector)
    {
        var maxAbs = 0f;
        foreach (var value in vector)
        {
            if (!float.IsFinite(value))
            {
                throw new ArgumentException("An embedding must hold finite numbers only.", nameof(vector));
            }

            maxAbs = MathF.Max(maxAbs, MathF.Abs(value));
        }

        return maxAbs;
    }

    /// <summary>The smallest float not below <paramref name="value"/>, so a bound stays a bound after rounding.</summary>
    internal static float RoundUp(double value)
    {
        var rounded = (float)value;
        return rounded < value ? MathF.BitIncrement(rounded) : rounded;
    }
}
