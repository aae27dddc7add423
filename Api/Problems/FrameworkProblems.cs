using System.Text.Json;
using FaceOrleans.Vision;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing.Template;

namespace FaceOrleans.Api.Problems;

/// <summary>
/// The problems for what ASP.NET Core and Kestrel refuse before an endpoint runs (a body over the limit or too
/// slow, the wrong media type, a form or JSON body that cannot be read, no such route): each gets a stable type
/// from the catalogue and a detail naming the limit, the media type or the field, like the API's own problems.
/// </summary>
public static class FrameworkProblems
{
    /// <summary>The extension that gives the body limit a 413 was refused for, in bytes.</summary>
    public const string LimitExtension = "limit_bytes";

    /// <summary>A request the framework refused by throwing (with <c>ThrowOnBadRequest</c>) or Kestrel refused.</summary>
    public static ProblemDetails FromException(HttpContext context, BadHttpRequestException exception)
    {
        if (exception.InnerException is JsonException json)
        {
            return Json(json);
        }

        if (exception.InnerException is InvalidDataException or IOException && exception.StatusCode == StatusCodes.Status400BadRequest)
        {
            return MalformedForm(exception.InnerException.Message);
        }

        return FromStatus(context, exception.StatusCode)
            ?? ApiProblems.Create(exception.StatusCode, "bad-request", "Bad request", exception.Message);
    }

    /// <summary>A status only (the status-code pages): the detail says what the framework checked; null for a status the API words itself.</summary>
    public static ProblemDetails? FromStatus(HttpContext context, int status) => status switch
    {
        // Minimal APIs answer a body that breaks off while being read (a multipart boundary that does not match the
        // Content-Type's, a form cut short) with a bare 400 even with ThrowOnBadRequest: they take it for a client gone.
        StatusCodes.Status400BadRequest when context.Request.HasFormContentType => MalformedForm(
            "its parts do not match the boundary in the Content-Type header, or it ends before its closing boundary."),
        StatusCodes.Status400BadRequest => ApiProblems.Create(status, "bad-request", "Bad request", "The request body cannot be read."),
        StatusCodes.Status404NotFound => ApiProblems.Create(status, "not-found", "Not found",
            $"No route matches {context.Request.Method} {context.Request.Path}; GET /openapi/v1.json lists them."),
        StatusCodes.Status405MethodNotAllowed => ApiProblems.Create(status, "method-not-allowed", "Method not allowed",
            $"{context.Request.Path} does not take {context.Request.Method}."),
        StatusCodes.Status408RequestTimeout => RequestTimeout(context),
        StatusCodes.Status413PayloadTooLarge => BodyTooLarge(context),
        StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType(context),
        _ => null,
    };

    /// <summary>
    /// The one <c>upload-too-large</c> problem, whoever finds the body or a file too big (Kestrel, the form reader, a
    /// route's own per-file check): 413 with <c>limit_bytes</c>, and the form field when one file is to blame.
    /// </summary>
    public static ProblemDetails UploadTooLarge(string detail, long? limitBytes, string? field = null)
    {
        var extensions = new Dictionary<string, object?> { [LimitExtension] = limitBytes };
        if (field is not null)
        {
            extensions[RejectionProblems.FieldExtension] = field;
        }

        return ApiProblems.Create(StatusCodes.Status413PayloadTooLarge, "upload-too-large", "Upload too large", detail, extensions);
    }

    public static ProblemDetails MalformedForm(string detail) =>
        ApiProblems.Create(StatusCodes.Status400BadRequest, "malformed-form", "Malformed multipart form", $"The multipart form cannot be read: {detail}");

    private static ProblemDetails Json(JsonException json)
    {
        // The serializer's path ($.similarity_threshold, $.metadata.x) names the field; "$" alone is the body itself.
        var field = json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
        if (field is null)
        {
            return ApiProblems.Create(StatusCodes.Status400BadRequest, "bad-request", "Bad request",
                $"The body is not the JSON object this route takes (line {json.LineNumber + 1}, byte {json.BytePositionInLine}).");
        }

        // The catalogue's own invalid-parameter, so its status, title and field extension are the API's everywhere.
        return RejectionProblems.Create(new RequestRejectedException(RejectionCode.InvalidParameter, field,
            $"'{field}' in the JSON body has the wrong type or value (line {json.LineNumber + 1}, byte {json.BytePositionInLine})."));
    }

    private static ProblemDetails BodyTooLarge(HttpContext context)
    {
        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        return UploadTooLarge(
            limit is { } bytes
                ? $"The request body is larger than this route accepts ({bytes} bytes)."
                : "The request body is larger than this route accepts.",
            limit);
    }

    private static ProblemDetails RequestTimeout(HttpContext context)
    {
        var seconds = RequestBodyDeadline.Timeout(context).TotalSeconds;
        return ApiProblems.Create(StatusCodes.Status408RequestTimeout, "request-timeout", "Request body timed out",
            $"The request body did not arrive within {seconds:0.#} s (FaceOrleans:Api:RequestBodyTimeout).",
            new Dictionary<string, object?> { ["timeout_seconds"] = seconds });
    }

    private static ProblemDetails UnsupportedMediaType(HttpContext context)
    {
        // Routing answered with its own 415 endpoint: what the route takes is on the endpoints this path and method match.
        var path = context.Request.Path.Value ?? "/";
        var accepted = context.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(context.Request.Method) == true
                && new TemplateMatcher(TemplateParser.Parse(e.RoutePattern.RawText ?? string.Empty), new RouteValueDictionary()).TryMatch(path, new RouteValueDictionary()))
            .SelectMany(e => e.Metadata.GetOrderedMetadata<IAcceptsMetadata>().SelectMany(a => a.ContentTypes))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToArray();
        var sent = context.Request.ContentType is { Length: > 0 } type ? type : "no Content-Type";
        return ApiProblems.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
            accepted.Length > 0
                ? $"This route takes {string.Join(" or ", accepted)}; the request sent {sent}."
                : $"This route does not take {sent}.");
    }
}
