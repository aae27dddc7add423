namespace FaceOrleans.Vision;

/// <summary>
/// What one image of a batch came to: its value, or the rejection that refused this image alone (the other
/// images of the batch are unaffected).
/// </summary>
public sealed record ImageResult<T>(T? Value, RequestRejectedException? Rejection)
{
    /// <summary>The value; throws the rejection when the image was refused.</summary>
    public T ValueOrThrow() => Rejection is null ? Value! : throw Rejection;
}
