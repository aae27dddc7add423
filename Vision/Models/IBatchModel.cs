namespace FaceOrleans.Vision;

/// <summary>
/// A network whose prepared inputs run together in one model call when they have the same
/// <see cref="InputShape"/>. Preparing an input (resize, pack) and reading an output (decode, NMS) belong to the
/// caller's thread; only <see cref="RunBatch"/> is the model call a slice serialises or batches.
/// </summary>
public interface IBatchModel<TInput, TOutput>
{
    string ModelName { get; }

    /// <summary>Most inputs one call may take: it bounds the memory a call needs on the device.</summary>
    int MaxBatchSize { get; }

    /// <summary>Inputs of equal shape may share a call; a batch gives each input the same output as a call of its own.</summary>
    InputShape ShapeOf(TInput input);

    /// <summary>One model call over 1 to <see cref="MaxBatchSize"/> inputs of one shape; one output per input, in order.</summary>
    TOutput[] RunBatch(IReadOnlyList<TInput> inputs);
}

/// <summary>The size of one prepared input tensor (channels are the model's).</summary>
public readonly record struct InputShape(int Width, int Height);
