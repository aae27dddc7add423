namespace FaceOrleans.Contracts;

/// <summary>
/// One subject an audited call named or answered, with its score where the call gave one: a compare's pair has no
/// subject, an identification one entry per candidate returned. Never an image or an embedding, nor a face id: an
/// erased face leaves no trace of its id on disk (docs/data-protection.md); the subject is what the trail accounts for.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.AuditSubject")]
public sealed record AuditSubject(
    [property: Id(0)] string? Subject,
    [property: Id(1)] float? Score = null,
    [property: Id(2)] bool? Match = null);

/// <summary>What the API records of one call: who (key id, client address), which request, which route, what came back.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.AuditRecord")]
public sealed record AuditRecord(
    [property: Id(0)] string Action,
    [property: Id(1)] string Route,
    [property: Id(2)] int Status,
    [property: Id(3)] string? KeyId,
    [property: Id(4)] string? ClientAddress,
    [property: Id(5)] string? RequestId,
    [property: Id(6)] IReadOnlyList<AuditSubject> Subjects,
    [property: Id(7)] string? Detail = null);

/// <summary>
/// An entry of a tenant's trail: its place in the chain (<see cref="Sequence"/>, from 1), when it was appended, the
/// record, and the chain's hashes: <see cref="Hash"/> = sha256(<see cref="PreviousHash"/> bytes + canonical content).
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.AuditEntry")]
public sealed record AuditEntry(
    [property: Id(0)] long Sequence,
    [property: Id(1)] DateTimeOffset Time,
    [property: Id(2)] AuditRecord Record,
    [property: Id(3)] string PreviousHash,
    [property: Id(4)] string Hash);

/// <summary>A page of the trail in append order: entries after <see cref="After"/> (a sequence number) that match every filter given.</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.AuditQuery")]
public sealed record AuditQuery(
    [property: Id(0)] DateTimeOffset? From = null,
    [property: Id(1)] DateTimeOffset? To = null,
    [property: Id(2)] string? Subject = null,
    [property: Id(3)] string? Action = null,
    [property: Id(4)] long After = 0,
    [property: Id(5)] int Limit = 100);

/// <summary>The entries of a page, and the cursor of the next one (null on the last page).</summary>
[GenerateSerializer, Immutable, Alias("faceorleans.AuditPage")]
public sealed record AuditPage(
    [property: Id(0)] IReadOnlyList<AuditEntry> Entries,
    [property: Id(1)] long? NextAfter);

/// <summary>
/// The chain checked from its anchor (the entry before the first kept one: none, or the last one retention or a
/// tenant's deletion removed) to its recorded head. <see cref="BrokenAt"/> is the sequence number of the first entry
/// that is missing, out of place or altered, with <see cref="Problem"/> saying which.
/// </summary>
[GenerateSerializer, Immutable, Alias("faceorleans.AuditVerification")]
public sealed record AuditVerification(
    [property: Id(0)] bool Ok,
    [property: Id(1)] long Entries,
    [property: Id(2)] long FirstSequence,
    [property: Id(3)] long HeadSequence,
    [property: Id(4)] string HeadHash,
    [property: Id(5)] long? BrokenAt = null,
    [property: Id(6)] string? Problem = null);
