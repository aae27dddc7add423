namespace FaceOrleans.Contracts;

/// <summary>A face as exported: its id, subject, embedding with the recognizer that made it, and its photo when one was kept.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.ExportedFace")]
public sealed record ExportedFace(
    [property: Id(0)] string FaceId,
    [property: Id(1)] string SubjectId,
    [property: Id(2)] float[] Embedding,
    [property: Id(3)] EmbeddingModel Model,
    [property: Id(4)] byte[]? Photo = null);

/// <summary>Everything of a tenant that an import needs to answer as the tenant did: its settings, subjects and faces.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.TenantExport")]
public sealed record TenantExport(
    [property: Id(0)] int Version,
    [property: Id(1)] string Tenant,
    [property: Id(2)] DateTimeOffset ExportedUtc,
    [property: Id(3)] TenantSettings Settings,
    [property: Id(4)] IReadOnlyList<SubjectInfo> Subjects,
    [property: Id(5)] IReadOnlyList<ExportedFace> Faces)
{
    public const int CurrentVersion = 1;
}

[GenerateSerializer, Immutable, Alias("faceorleans.ImportReport")]
public sealed record ImportReport([property: Id(0)] int Subjects, [property: Id(1)] int Faces, [property: Id(2)] int Photos);

/// <summary>A tenant's export and import (key = tenant id), on the tenant's silo.</summary>
[Alias("faceorleans.ITenantTransferGrain")]
public interface ITenantTransferGrain : IGrainWithStringKey
{
    [Alias("Export")]
    Task<TenantExport> Export();

    /// <summary>Into an empty gallery only: settings replaced, subjects and faces stored as exported (same ids, same embeddings).</summary>
    [Alias("Import")]
    Task<ImportReport> Import(TenantExport archive);
}
