namespace FaceOrleans.Contracts;

/// <summary>What one retention sweep of a tenant erased.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.RetentionReport")]
public sealed record RetentionReport(
    [property: Id(0)] IReadOnlyList<string> SubjectsErased,
    [property: Id(1)] int PhotosErased,
    [property: Id(2)] long AuditEntriesErased);

/// <summary>
/// A tenant's retention (key = tenant id), on the tenant's silo: erases what the tenant's retention settings make due,
/// through the same paths as the delete routes. Idempotent: a sweep interrupted by a restart or a silo's failure is
/// simply run again by the next one.
/// </summary>
[Alias("faceorleans.IRetentionGrain")]
public interface IRetentionGrain : IGrainWithStringKey
{
    [Alias("Sweep")]
    Task<RetentionReport> Sweep();
}
