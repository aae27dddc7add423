using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace FaceOrleans.Api.Endpoints;

// The batch routes' bodies: one item per image part, in request order.

/// <summary>
/// One image of a batch. <see cref="Status"/> is what the single route would have answered for it; on success
/// <see cref="Result"/> holds that route's answer, otherwise <see cref="Problem"/> holds its RFC 7807 problem (same
/// type as the single route's), naming the part in its <c>image</c> or <c>field</c> extension.
/// </summary>
public sealed record BatchItemJson<T>(
    int Index,
    string Image,
    string? Filename,
    int Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Location,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] T? Result,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ProblemDetails? Problem);

public sealed record DetectedImageJson(int Count, IReadOnlyList<FaceJson> Faces);

public sealed record DetectBatchResponse(int Images, int Failed, IReadOnlyList<BatchItemJson<DetectedImageJson>> Results, double TimingMs, string Slice);

public sealed record EmbeddedImageJson(IReadOnlyList<EmbeddedFaceJson> Faces);

public sealed record EmbedBatchResponse(
    string Model, string ModelVersion, int Dimensions, string Encoding, int Images, int Failed, IReadOnlyList<BatchItemJson<EmbeddedImageJson>> Results, double TimingMs, string Slice);

public sealed record EnrollBatchResponse(string Subject, int Enrolled, int Failed, IReadOnlyList<BatchItemJson<EnrolledFaceJson>> Results, double TimingMs);
