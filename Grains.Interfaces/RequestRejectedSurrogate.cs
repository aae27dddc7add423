using FaceOrleans.Vision;

namespace FaceOrleans.Contracts;

/// <summary>
/// How a <see cref="RequestRejectedException"/> crosses a grain call: the Orleans-free exception cannot carry
/// serializer attributes, so its code, field, slice, message and reasons travel as this and are rebuilt on the other side.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.RequestRejectedSurrogate")]
public readonly record struct RequestRejectedSurrogate(
    [property: Id(0)] RejectionCode Code,
    [property: Id(1)] string? Field,
    [property: Id(2)] string Message,
    [property: Id(3)] string? Slice,
    [property: Id(4)] string[]? Reasons);
