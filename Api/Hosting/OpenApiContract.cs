using System.Globalization;
using FaceOrleans.Api.Problems;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;

namespace FaceOrleans.Api.Hosting;

/// <summary>
/// Completes the generated OpenAPI document into the contract clients are built from: the <c>X-Api-Key</c> scheme on
/// every route that needs a key, each operation's error statuses as <c>application/problem+json</c> with the one
/// <c>Problem</c> schema of the catalogue, operation ids and described tags. <c>scripts/test.sh</c> lints the served
/// document, and the tests validate every response they receive against it.
/// </summary>
internal static class OpenApiContract
{
    public const string SecurityScheme = "ApiKey";

    public const string ProblemSchema = "Problem";

    private const string ProblemJson = "application/problem+json";

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Faces"] = "1:1 comparison, detection and embeddings on the tenant's slice.",
        ["Gallery"] = "Subjects, enrolled faces, 1:N identification and verification in the tenant's sharded gallery.",
        ["Batches"] = "Several images in one request; each image gets its own status and result or problem.",
        ["Tenants"] = "A tenant's configuration, counters, placement and rate quota.",
        ["Calibration"] = "Similarity thresholds calibrated from the tenant's own gallery.",
        ["Cluster"] = "Silos, slices and their inference statistics (admin).",
        ["Keys"] = "API keys: issue, list and revoke (admin).",
        ["Audit"] = "The tenant's hash-chained audit trail of enrollments, deletions, changes and decisions: query and verify (tenant-admin).",
        ["Health"] = "Liveness and readiness probes; no key needed.",
    };

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            Complete(document);
            return Task.CompletedTask;
        });
        options.AddSchemaTransformer((schema, context, _) =>
        {
            OmittedWhenNull(schema, context.JsonTypeInfo);
            NoNullAmongEnumValues(schema);
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            Describe(operation, context);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// A nullable enum member (a tenant's <c>detection_mode</c>) becomes "null, or the enum's component", and the
    /// generator also lists null among the component's values, so a null would match both and fail the one-of. The member
    /// says it may be null; the component lists the values.
    /// </summary>
    private static void NoNullAmongEnumValues(OpenApiSchema schema)
    {
        for (var i = (schema.Enum?.Count ?? 0) - 1; i >= 0; i--)
        {
            if (schema.Enum![i] is null)
            {
                schema.Enum.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// A property left out of the JSON when null (a batch item's location, result or problem) is not required, although
    /// it is a constructor parameter, which the generator takes as required.
    /// </summary>
    private static void OmittedWhenNull(OpenApiSchema schema, System.Text.Json.Serialization.Metadata.JsonTypeInfo type)
    {
        if (schema.Required is not { Count: > 0 } required || type.Kind != System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in type.Properties)
        {
            var ignore = property.AttributeProvider?.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), inherit: true)
                .OfType<System.Text.Json.Serialization.JsonIgnoreAttribute>().FirstOrDefault();
            if (ignore?.Condition is System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull or System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)
            {
                required.Remove(property.Name);
            }
        }
    }

    private static void Complete(OpenApiDocument document)
    {
        document.Info.Description = "Multi-tenant face recognition on Orleans. Send an API key in X-Api-Key; every error is an RFC 7807 problem "
            + "(application/problem+json) whose type is stable: https://faceorleans.dev/problems/<name>.";
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes[SecurityScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "X-Api-Key",
            Description = "A tenant, tenant-admin or admin key (POST /v1/keys issues them; the embedded default writes demo keys to data/demo-keys.env).",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        document.Components.Schemas[ProblemSchema] = Problem();

        foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
        {
            if (tag.Name is { } name && TagDescriptions.TryGetValue(name, out var description))
            {
                tag.Description = description;
            }
        }

        // The generator describes a problem response with ASP.NET Core's ProblemDetails: the catalogue's schema instead.
        foreach (var operation in (document.Paths ?? []).Values.SelectMany(p => p.Operations ?? []).Select(o => o.Value))
        {
            foreach (var response in (operation.Responses ?? []).Where(r => IsError(r.Key)).Select(r => r.Value).OfType<OpenApiResponse>())
            {
                response.Content = ProblemContent(document);
            }
        }

        // ProblemDetails stays: a batch item's own problem is typed with it.
    }

    private static Dictionary<string, OpenApiMediaType> ProblemContent(OpenApiDocument document) => new(StringComparer.Ordinal)
    {
        [ProblemJson] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
    };

    private static void Describe(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var route = description.RelativePath ?? string.Empty;
        operation.OperationId ??= OperationId(description.HttpMethod ?? "GET", route);

        var needsKey = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        // An empty requirement says "no key needed", so that every operation states its security.
        var requirement = new OpenApiSecurityRequirement();
        if (needsKey)
        {
            requirement[new OpenApiSecuritySchemeReference(SecurityScheme, context.Document)] = [];
        }

        operation.Security = [requirement];

        operation.Responses ??= [];
        if (route.StartsWith("health", StringComparison.Ordinal) && route != "health/live" && operation.Responses.TryGetValue("200", out var ready))
        {
            // Not ready is the same body with 503.
            operation.Responses["503"] = new OpenApiResponse { Description = "Not ready: the cluster or a slice does not answer.", Content = ready.Content };
        }

        foreach (var (status, why) in ErrorStatuses(description, metadata, needsKey))
        {
            var key = status.ToString(CultureInfo.InvariantCulture);
            if (!operation.Responses.ContainsKey(key))
            {
                operation.Responses[key] = new OpenApiResponse { Description = why, Content = ProblemContent(context.Document!) };
            }
            else if (operation.Responses[key] is OpenApiResponse declared && string.IsNullOrEmpty(declared.Description))
            {
                declared.Description = why;
            }
        }
    }

    /// <summary>The problems an operation can answer with, from what its endpoint is: keyed, tenant-scoped, with a body, running the models.</summary>
    private static IEnumerable<(int Status, string Why)> ErrorStatuses(
        Microsoft.AspNetCore.Mvc.ApiExplorer.ApiDescription description, IList<object> metadata, bool needsKey)
    {
        if (!needsKey)
        {
            yield break;
        }

        var sources = description.ParameterDescriptions.Select(p => p.Source.Id).ToHashSet(StringComparer.Ordinal);
        var hasBody = sources.Contains("Body") || sources.Contains("Form") || sources.Contains("FormFile");
        var runsModels = metadata.OfType<EnableRateLimitingAttribute>().Any();
        yield return (StatusCodes.Status400BadRequest, "A parameter, form field or JSON value is missing or malformed (missing-field, invalid-parameter, bad-request, malformed-form).");
        yield return (StatusCodes.Status401Unauthorized, "No API key, or an unknown or revoked one (missing-api-key, invalid-api-key).");
        yield return (StatusCodes.Status403Forbidden, "The key may not act for this tenant or this route (forbidden).");
        if (sources.Contains("Path"))
        {
            yield return (StatusCodes.Status404NotFound, "A tenant the cluster does not know, or a key, subject or face that does not exist (unknown-tenant, unknown-key, unknown-subject).");
        }

        if (hasBody)
        {
            yield return (StatusCodes.Status408RequestTimeout, "The request body did not arrive within FaceOrleans:Api:RequestBodyTimeout (request-timeout).");
            yield return (StatusCodes.Status413PayloadTooLarge, "A body, file or image over its limit (upload-too-large with limit_bytes, image-too-large, too-many-images).");
            yield return (StatusCodes.Status415UnsupportedMediaType, "The wrong media type for this route, or a file that is not a readable image (unsupported-media-type, not-an-image, corrupt-image).");
        }

        if (runsModels)
        {
            yield return (StatusCodes.Status422UnprocessableEntity, "No face, several faces, a face not good enough, or an image too small (no-face, several-faces, low-quality, image-too-small).");
            yield return (StatusCodes.Status429TooManyRequests, "The tenant is over its rate quota or concurrency limit (tenant-over-quota); see Retry-After.");
        }

        yield return (StatusCodes.Status500InternalServerError, "An unexpected fault; it has been logged (internal-error).");
        yield return (StatusCodes.Status503ServiceUnavailable, "The tenant's slice, the cluster or the gallery store cannot serve now (slice-unavailable, slice-busy, cluster-unavailable, gallery-unavailable); see Retry-After.");
        yield return (StatusCodes.Status504GatewayTimeout, "The slice did not answer within the cluster's response timeout (inference-timeout).");
    }

    private static bool IsError(string status) => status.Length == 3 && status[0] is '4' or '5';

    /// <summary>An id for a route that has no name: <c>GET health/live</c> becomes <c>GetHealthLive</c>.</summary>
    private static string OperationId(string method, string route) =>
        CultureInfo.InvariantCulture.TextInfo.ToTitleCase(method.ToLowerInvariant())
        + string.Concat(route.Split('/', '-', '{', '}').Where(s => s.Length > 0).Select(s => char.ToUpperInvariant(s[0]) + s[1..]));

    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 7807 problem from the catalogue (README, \"Errors\"). Extensions name what it concerns.",
        Required = new HashSet<string>(["type", "title", "status", "detail"], StringComparer.Ordinal),
        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Stable: " + ApiProblems.TypeBase + "<name>." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What is wrong, naming the field, image or limit." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            [RejectionProblems.FieldExtension] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The form field, JSON value or setting concerned." },
            [RejectionProblems.ImageExtension] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The image concerned, e.g. image2 or images[3]." },
            ["reasons"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String }, Description = "Why a face or calibration was refused." },
            [FrameworkProblems.LimitExtension] = new OpenApiSchema { Type = JsonSchemaType.Integer | JsonSchemaType.Null, Format = "int64", Description = "The body limit a 413 refers to." },
            ["limit"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Integer, Description = "Which quota a 429 hit (rate or concurrency), or the most images a batch takes." },
            ["slice"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The slice concerned." },
            ["retry_after_seconds"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
            ["timeout_seconds"] = new OpenApiSchema { Type = JsonSchemaType.Number },
            ["request_id"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["trace_id"] = new OpenApiSchema { Type = JsonSchemaType.String },
        },
    };
}
