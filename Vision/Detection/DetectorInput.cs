namespace FaceOrleans.Vision;

/// <summary>
/// One image resized for the detector and packed, with what it takes to map the network's answer back to the
/// image's pixels. Made on the caller's thread by <see cref="RetinaFaceDetector.Prepare"/>.
/// </summary>
public sealed class DetectorInput : IDisposable
{
    internal DetectorInput(PreparedInput tensor, double scale, int imageWidth, int imageHeight)
    {
        Tensor = tensor;
        Scale = scale;
        ImageWidth = imageWidth;
        ImageHeight = imageHeight;
    }

    public PreparedInput Tensor { get; }

    /// <summary>Input pixels per image pixel.</summary>
    public double Scale { get; }

    public int ImageWidth { get; }

    public int ImageHeight { get; }

    public void Dispose() => Tensor.Dispose();
}

/// <summary>
/// The detector's raw answer for one image (box offsets, scores, landmark offsets per prior), copied out of the
/// batch's output into pooled memory so it can be decoded on the caller's thread after the model call.
/// </summary>
public sealed class DetectorOutput : IDisposable
{
    private float[]? _values;

    internal DetectorOutput(int priorCount, ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, ReadOnlySpan<float> landmarks)
    {
        PriorCount = priorCount;
        _values = System.Buffers.ArrayPool<float>.Shared.Rent(priorCount * 16);
        boxes.CopyTo(_values.AsSpan(0, priorCount * 4));
        scores.CopyTo(_values.AsSpan(priorCount * 4, priorCount * 2));
        landmarks.CopyTo(_values.AsSpan(priorCount * 6, priorCount * 10));
    }

    public int PriorCount { get; }

    internal ReadOnlySpan<float> Boxes => Values.AsSpan(0, PriorCount * 4);

    internal ReadOnlySpan<float> Scores => Values.AsSpan(PriorCount * 4, PriorCount * 2);

    internal ReadOnlySpan<float> Landmarks => Values.AsSpan(PriorCount * 6, PriorCount * 10);

    private float[] Values => _values ?? throw new ObjectDisposedException(nameof(DetectorOutput));

    public void Dispose()
    {
        if (_values is not null)
        {
            System.Buffers.ArrayPool<float>.Shared.Return(_values);
            _values = null;
        }
    }
}
