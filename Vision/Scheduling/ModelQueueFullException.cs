namespace FaceOrleans.Vision;

/// <summary>A slice's queue holds as many inputs as it may: the call was refused before it queued; retry after <see cref="RetryAfterSeconds"/>.</summary>
public sealed class ModelQueueFullException(string slice, int capacity, int retryAfterSeconds)
    : Exception($"Slice '{slice}' already has {capacity} images or faces waiting for its models; retry in {retryAfterSeconds} s.")
{
    public string Slice { get; } = slice;

    public int Capacity { get; } = capacity;

    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}
