namespace FaceOrleans.Vision;

/// <summary>
/// The caller asked for something the service refuses: a client mistake, never a server fault. It travels
/// unchanged from the pipeline or a grain to the API (Grains.Interfaces gives it a wire format), which turns
/// <see cref="Code"/> into the problem type clients switch on.
/// </summary>
public sealed class RequestRejectedException : Exception
{
    public RequestRejectedException(RejectionCode code, string? field, string message)
        : base(message)
    {
        Code = code;
        Field = field;
    }

    public RejectionCode Code { get; }

    /// <summary>The form field, image or setting the rejection concerns (<c>image2</c>, <c>threshold</c>); null when it is the whole request.</summary>
    public string? Field { get; }

    /// <summary>The slice whose models found the problem, when one did (a comparison with no face in an image).</summary>
    public string? Slice { get; init; }

    /// <summary>Each reason for the refusal as a stable code, when there can be several (<see cref="RejectionCode.LowQuality"/>).</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];
}
