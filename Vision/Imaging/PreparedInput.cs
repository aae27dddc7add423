using Microsoft.ML.OnnxRuntime;

namespace FaceOrleans.Vision;

/// <summary>
/// One image or face already resized and packed as its network's 3xHxW input, in pooled memory: the work that
/// runs on the caller's thread before the model call, so a slice's serial section holds the model call alone.
/// </summary>
public sealed class PreparedInput : IDisposable
{
    private readonly PooledInputTensor _tensor;

    internal PreparedInput(PooledInputTensor tensor)
    {
        _tensor = tensor;
    }

    public InputShape Shape => new(_tensor.Width, _tensor.Height);

    internal PooledInputTensor Tensor => _tensor;

    /// <summary>
    /// The inputs as one NCHW value for one model call: a single input is used where it lies, several are copied
    /// side by side (a memory copy, small next to the model call). Dispose the result after the run.
    /// </summary>
    internal static StackedInputs Stack(IReadOnlyList<PreparedInput> inputs)
    {
        var shape = inputs[0].Shape;
        if (inputs.Count == 1)
        {
            return new StackedInputs(null, inputs[0]._tensor.ToOrtValue());
        }

        var stacked = new PooledInputTensor(inputs.Count, shape.Width, shape.Height);
        var slot = 3 * shape.Width * shape.Height;
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Shape != shape)
            {
                stacked.Dispose();
                throw new ArgumentException($"A batch holds inputs of one shape; got {inputs[i].Shape} beside {shape}.", nameof(inputs));
            }

            inputs[i]._tensor.Span.CopyTo(stacked.Span.Slice(i * slot, slot));
        }

        return new StackedInputs(stacked, stacked.ToOrtValue());
    }

    public void Dispose() => _tensor.Dispose();

    /// <summary>An ONNX Runtime value over one batch, and the pooled tensor it may own.</summary>
    internal sealed class StackedInputs(PooledInputTensor? owned, OrtValue value) : IDisposable
    {
        public OrtValue Value { get; } = value;

        public void Dispose()
        {
            Value.Dispose();
            owned?.Dispose();
        }
    }
}
