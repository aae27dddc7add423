using System.Globalization;
using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using FaceOrleans.Vision;

namespace FaceOrleans.Api.Endpoints;

internal static class AuditEndpoints
{
    private const int MaxLimit = 1000;

    public static void MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/v1/{tenant}/audit").WithTags("Audit");

        audit.MapGet("/", async (string tenant, string? from, string? to, string? subject, string? action, string? cursor, int? limit, IClusterClient cluster) =>
            {
                var query = new AuditQuery(Time(from, "from"), Time(to, "to"), Blank(subject), Blank(action), Cursor(cursor), limit ?? 100);
                if (query.Limit is < 1 or > MaxLimit)
                {
                    throw new RequestRejectedException(RejectionCode.InvalidParameter, "limit", $"limit must be between 1 and {MaxLimit}");
                }

                if (query.From > query.To)
                {
                    throw new RequestRejectedException(RejectionCode.InvalidParameter, "from", "from must not be after to");
                }

                var page = await cluster.GetGrain<IAuditGrain>(tenant).Query(query);
                return TypedResults.Ok(new AuditPageJson(page.Entries.Select(AuditEntryJson.From).ToArray(),
                    page.NextAfter?.ToString(CultureInfo.InvariantCulture)));
            })
            .WithName("GetAuditTrail")
            .WithSummary("The tenant's audit trail in append order, a page at a time: from/to (ISO 8601, to exclusive), subject and action " +
                "filters, limit (1-1000, default 100) and the previous page's next_cursor (tenant-admin or admin key).")
            .RequireTenantAccess(adminOnly: true);

        audit.MapGet("/verify", async (string tenant, IClusterClient cluster) =>
                TypedResults.Ok(AuditVerificationJson.From(await cluster.GetGrain<IAuditGrain>(tenant).Verify())))
            .WithName("VerifyAuditTrail")
            .WithSummary("Checks the trail's hash chain from its first kept entry to its head: ok, or the first entry missing, " +
                "out of place or altered (tenant-admin or admin key).")
            .RequireTenantAccess(adminOnly: true);
    }

    private static DateTimeOffset? Time(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time
        : throw new RequestRejectedException(RejectionCode.InvalidParameter, field, $"{field} must be an ISO 8601 time such as 2026-12-07T04:00:00Z");

    private static long Cursor(string? value) =>
        string.IsNullOrWhiteSpace(value) ? 0
        : long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var after) ? after
        : throw new RequestRejectedException(RejectionCode.InvalidParameter, "cursor", "cursor must be a next_cursor this route returned");

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

public sealed record AuditSubjectJson(string? Subject, float? Score, bool? Match);

public sealed record AuditEntryJson(
    long Sequence, DateTimeOffset Time, string Action, string Route, int Status, string? KeyId, string? ClientAddress, string? RequestId,
    IReadOnlyList<AuditSubjectJson> Subjects, string? Detail, string PreviousHash, string Hash)
{
    public static AuditEntryJson From(AuditEntry entry)
    {
        var r = entry.Record;
        return new AuditEntryJson(entry.Sequence, entry.Time, r.Action, r.Route, r.Status, r.KeyId, r.ClientAddress, r.RequestId,
            r.Subjects.Select(s => new AuditSubjectJson(s.Subject, s.Score, s.Match)).ToArray(), r.Detail, entry.PreviousHash, entry.Hash);
    }
}

/// <summary>A page of the trail; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record AuditPageJson(IReadOnlyList<AuditEntryJson> Entries, string? NextCursor);

public sealed record AuditVerificationJson(
    bool Ok, long Entries, long FirstSequence, long HeadSequence, string HeadHash, long? BrokenAt, string? Problem)
{
    public static AuditVerificationJson From(AuditVerification v) =>
        new(v.Ok, v.Entries, v.FirstSequence, v.HeadSequence, v.HeadHash, v.BrokenAt, v.Problem);
}
