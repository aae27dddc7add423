using FaceOrleans.Contracts;

namespace FaceOrleans.Api.Endpoints;

// The gallery routes' bodies, in snake_case like every response.

public sealed record CreateSubjectRequest(string? Id, string? DisplayName, Dictionary<string, string>? Metadata);

public sealed record EnrolledFaceJson(string FaceId, string SubjectId, FaceJson Face)
{
    public static EnrolledFaceJson From(EnrolledFace face) => new(face.FaceId, face.SubjectId, FaceJson.From(face.Face));
}

public sealed record CandidateJson(string Subject, string FaceId, float Similarity);

/// <summary><see cref="Match"/> is the best candidate's subject when it reaches the threshold, else "unknown".</summary>
public sealed record IdentifiedFaceJson(FaceJson Face, string Match, IReadOnlyList<CandidateJson> Candidates);

public sealed record IdentifyResponse(IReadOnlyList<IdentifiedFaceJson> Faces, float Threshold, long GallerySize, double TimingMs);

public sealed record VerifyResponse(string Subject, float Similarity, bool IsMatch, float Threshold, string? FaceId, FaceJson Face, double TimingMs);

public sealed record ReshardRequest(int? Shards);

/// <summary><see cref="ReshardingTo"/> is the target count while a re-shard runs, null otherwise.</summary>
public sealed record GalleryStatusJson(int Shards, int? ReshardingTo, long Faces, long FacesToMove)
{
    public static GalleryStatusJson From(GalleryStatus status) => new(status.Shards, status.ReshardingTo, status.Faces, status.FacesToMove);
}

/// <summary>A re-embedded gallery: the recognizer (name, version, dimension) its faces are now of, and how many were embedded again.</summary>
public sealed record ReembedJson(string Model, string ModelVersion, int Dimensions, int Reembedded, int Unchanged)
{
    public static ReembedJson From(ReembedResult result) =>
        new(result.Model.Name, result.Model.Version, result.Model.Dimension, result.Reembedded, result.Unchanged);
}
