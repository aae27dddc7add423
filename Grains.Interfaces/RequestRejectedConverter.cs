using FaceOrleans.Vision;

namespace FaceOrleans.Contracts;

/// <summary>Lets a rejection from the pipeline or a grain reach the caller as itself, code and field intact.</summary>
[RegisterConverter]
public sealed class RequestRejectedConverter : IConverter<RequestRejectedException, RequestRejectedSurrogate>
{
    public RequestRejectedException ConvertFromSurrogate(in RequestRejectedSurrogate surrogate) =>
        new(surrogate.Code, surrogate.Field, surrogate.Message) { Slice = surrogate.Slice, Reasons = surrogate.Reasons ?? [] };

    public RequestRejectedSurrogate ConvertToSurrogate(in RequestRejectedException value) =>
        new(value.Code, value.Field, value.Message, value.Slice, value.Reasons.Count == 0 ? null : [.. value.Reasons]);
}
