namespace FaceOrleans.Contracts;

/// <summary>
/// The slice's queue already holds as many images or faces as it may: the request was refused before it queued,
/// and nothing it would have stored was touched. Callers should retry after <see cref="RetryAfterSeconds"/>; the
/// API maps this to 503 <c>slice-busy</c> with Retry-After.
/// </summary>
[GenerateSerializer, Alias("faceorleans.SliceBusyException")]
public sealed class SliceBusyException : Exception
{
    public SliceBusyException()
    {
    }

    public SliceBusyException(string message)
        : base(message)
    {
    }

    public SliceBusyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SliceBusyException(string sliceId, int retryAfterSeconds, string message)
        : base(message)
    {
        SliceId = sliceId;
        RetryAfterSeconds = retryAfterSeconds;
    }

    [Id(0)]
    public string SliceId { get; private set; } = string.Empty;

    [Id(1)]
    public int RetryAfterSeconds { get; private set; }
}
