using Microsoft.ML.OnnxRuntime;

namespace FaceOrleans.Vision;

/// <summary>
/// A model call needed more memory than the slice's arena may hold (<c>FaceOrleans:Slice:GpuMemoryLimitMb</c>, ONNX
/// Runtime's <c>gpu_mem_limit</c>, standing for a MIG instance's memory): the call failed, the slice and its other calls
/// did not. The caller may retry, at
/// a quieter moment or with a smaller batch; the operator sees the cap in the message.
/// </summary>
public sealed class ModelMemoryExhaustedException(string model, Exception innerException)
    : Exception($"Model '{model}' ran out of the slice's memory for this call ({FirstLine(innerException.Message)}); the slice's memory cap is too small for its load.", innerException)
{
    public string Model { get; } = model;

    /// <summary>
    /// Whether ONNX Runtime failed for want of memory: its arena refuses an allocation past the cap ("Failed to allocate
    /// memory", "Available memory of … is smaller than requested bytes"), and CUDA reports its own allocator's failure.
    /// </summary>
    public static bool IsOutOfMemory(OnnxRuntimeException exception) =>
        exception.Message.Contains("Failed to allocate memory", StringComparison.OrdinalIgnoreCase)
        || exception.Message.Contains("is smaller than requested bytes", StringComparison.OrdinalIgnoreCase)
        || exception.Message.Contains("CUDA failure 2:", StringComparison.Ordinal)
        || exception.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase);

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
