namespace FaceOrleans.Vision;

/// <summary>Why an upload cannot be processed; the API maps each to a stable problem type and status.</summary>
public enum FaceInputError
{
    Empty,
    NotAnImage,
    Corrupt,
    TooLarge,
    TooSmall,
}

/// <summary>The caller sent bytes the pipeline refuses: a client mistake, never a server fault.</summary>
public sealed class FaceInputException(FaceInputError error, string message) : Exception(message)
{
    public FaceInputError Error { get; } = error;
}
