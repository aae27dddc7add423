using System.Globalization;
using System.Text.Json;
using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Api.Endpoints;

/// <summary>
/// Appends a route's successful calls to the tenant's audit trail before the answer goes out: the key's id, the
/// client's address (what Kestrel reports, so the forwarded headers an operator configures in front of it), the
/// request id (the problem bodies' <c>request_id</c>), the route template and status, the subjects named or returned
/// with their scores, and a detail without personal data. Refused calls are not decisions and are not recorded;
/// the photo and the embeddings never reach the trail, only what the answer says about subjects.
/// </summary>
internal static class AuditTrail
{
    /// <param name="detail">What else the entry should say (a configuration's new values); never a photo, an embedding or metadata.</param>
    public static RouteHandlerBuilder Audited(this RouteHandlerBuilder route, string action, Func<EndpointFilterInvocationContext, string?>? detail = null) =>
        route.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            var http = context.HttpContext;
            // A file (a stored photo) carries no status of its own: it is a 200.
            var status = (result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK;
            if (status < 400 && (http.GetRouteValue("tenant") as string ?? http.User.KeyTenant()) is { } tenant)
            {
                var value = (result as IValueHttpResult)?.Value;
                await AppendAsync(http, tenant, action, status, Subjects(http, value), detail?.Invoke(context) ?? DetailOf(value));
            }

            return result;
        });

    /// <summary>Appends the record of the call <paramref name="http"/> is answering to <paramref name="tenant"/>'s trail; returns once it is stored.</summary>
    public static Task AppendAsync(HttpContext http, string tenant, string action, int status, IReadOnlyList<AuditSubject> subjects, string? detail = null) =>
        http.RequestServices.GetRequiredService<IClusterClient>().GetGrain<IAuditGrain>(tenant).Append(Record(http, action, status, subjects, detail));

    /// <summary>
    /// An API key's issue or revocation, in its tenant's trail. Keys may be issued ahead for a tenant no silo serves
    /// yet: such a tenant has no trail (nowhere to keep it) and no data, and the key change stands unrecorded.
    /// </summary>
    public static async Task AppendKeyChangeAsync(HttpContext http, string tenant, string action, int status, string detail)
    {
        try
        {
            await AppendAsync(http, tenant, action, status, [], detail);
        }
        catch (TenantNotServedException)
        {
            // Not served: see above.
        }
    }

    /// <summary>The record of a call that <paramref name="http"/> is answering.</summary>
    public static AuditRecord Record(HttpContext http, string action, int status, IReadOnlyList<AuditSubject> subjects, string? detail = null) => new(
        action,
        $"{http.Request.Method} {(http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value}",
        status,
        http.User.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value,
        http.Connection.RemoteIpAddress?.ToString(),
        http.TraceIdentifier,
        subjects,
        detail);

    /// <summary>A request body as the entry's detail, in the API's own JSON.</summary>
    /// <remarks>In the API's own JSON shape (a tenant's settings under the catalogue's names), as the caller sent it.</remarks>
    public static string? BodyOf<T>(EndpointFilterInvocationContext context) =>
        context.Arguments.OfType<T>().FirstOrDefault() is { } body
            ? JsonSerializer.Serialize(body, context.HttpContext.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions)
            : null;

    private static AuditSubject[] Subjects(HttpContext http, object? value) => value switch
    {
        IdentifyResponse identify => identify.Faces.SelectMany(f => f.Candidates.Select(c => new AuditSubject(c.Subject, c.Similarity, c.Subject == f.Match))).ToArray(),
        VerifyResponse verify => [new AuditSubject(verify.Subject, verify.Similarity, verify.IsMatch)],
        CompareResponse compare => [new AuditSubject(null, compare.Similarity, compare.IsSamePerson)],
        EnrolledFaceJson enrolled => [new AuditSubject(enrolled.SubjectId)],
        EnrollBatchResponse batch => [new AuditSubject(batch.Subject)],
        SubjectInfo subject => [new AuditSubject(subject.Id)],
        _ => http.GetRouteValue("id") is string id ? [new AuditSubject(id)] : [],
    };

    private static string? DetailOf(object? value) => value switch
    {
        IdentifyResponse identify => string.Create(CultureInfo.InvariantCulture,
            $"faces: {identify.Faces.Count}; matches: {string.Join(", ", identify.Faces.Select(f => f.Match))}; threshold: {identify.Threshold}"),
        VerifyResponse verify => string.Create(CultureInfo.InvariantCulture, $"threshold: {verify.Threshold}"),
        CompareResponse compare => string.Create(CultureInfo.InvariantCulture, $"threshold: {compare.Threshold}"),
        EnrollBatchResponse batch => string.Create(CultureInfo.InvariantCulture, $"enrolled: {batch.Enrolled}; failed: {batch.Failed}"),
        _ => null,
    };
}
