using Microsoft.ML.OnnxRuntime;

namespace FaceOrleans.Vision;

/// <summary>
/// An NCHW input tensor rented from the shared pool. A 640x640 detector input is 4.7 MB per image: allocated
/// per call it lands on the large-object heap and forces a full collection every few requests.
/// </summary>
internal sealed class PooledInputTensor : IDisposable
{
    private float[]? _buffer;

    /// <summary>A tensor of the model's own input size.</summary>
    public PooledInputTensor(int batchSize, ModelInputSpec input)
        : this(batchSize, input.Width, input.Height)
    {
    }

    /// <summary>A tensor of any size, for a model whose input size is symbolic.</summary>
    public PooledInputTensor(int batchSize, int width, int height)
    {
        Width = width;
        Height = height;
        Length = batchSize * 3 * width * height;
        Shape = [batchSize, 3, height, width];
        _buffer = System.Buffers.ArrayPool<float>.Shared.Rent(Length);
    }

    public int Width { get; }

    public int Height { get; }

    public int Length { get; }

    public long[] Shape { get; }

    /// <summary>The tensor's elements; every slot must be written through <see cref="TensorPacking.Pack"/> (rented memory is not cleared).</summary>
    public Span<float> Span => Buffer.AsSpan(0, Length);

    /// <summary>An ONNX Runtime value over the pooled memory; dispose it before this tensor.</summary>
    public OrtValue ToOrtValue() =>
        OrtValue.CreateTensorValueFromMemory(
            OrtMemoryInfo.DefaultInstance, Buffer.AsMemory(0, Length), Shape);

    private float[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PooledInputTensor));

    public void Dispose()
    {
        if (_buffer is not null)
        {
            System.Buffers.ArrayPool<float>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
