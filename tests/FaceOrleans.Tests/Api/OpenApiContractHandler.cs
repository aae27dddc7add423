using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace FaceOrleans.Tests.Api;

/// <summary>
/// The API's own OpenAPI document (<c>/openapi/v1.json</c>) as a checker of answers: the status must be one the
/// operation declares, and a JSON body must match the declared schema (JsonSchema.Net, JSON Schema 2020-12, which
/// OpenAPI 3.1 schemas are). Paths the document does not describe (the console, /metrics, the document itself) pass.
/// </summary>
public sealed class OpenApiContract
{
    // JSON Schema 2020-12 plus OpenAPI's own keywords (discriminator, example, xml) and the components beside the root.
    private static readonly Dialect OpenApiDialect = Dialect.Draft202012.With([], allowUnknownKeywords: true);

    private readonly JsonElement _document;
    private readonly (Regex Pattern, string Template)[] _paths;
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new(StringComparer.Ordinal);

    public OpenApiContract(string documentJson)
    {
        _document = JsonDocument.Parse(documentJson).RootElement.Clone();
        // A concrete segment wins over a template, as in routing: the templates with the fewest parameters first.
        _paths = _document.GetProperty("paths").EnumerateObject()
            .Select(p => p.Name)
            .OrderBy(t => t.Count(c => c == '{'))
            .Select(t => (new Regex("^" + Regex.Replace(t, @"\{[^/]+\}", "[^/]+") + "$", RegexOptions.CultureInvariant), t))
            .ToArray();
    }

    public static async Task<OpenApiContract> LoadAsync(HttpClient client) =>
        new(await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)));

    /// <summary>Why the answer breaks the document; null when it keeps it.</summary>
    public async Task<string?> ViolationAsync(HttpRequestMessage request, HttpResponseMessage response)
    {
        var path = request.RequestUri?.AbsolutePath ?? "/";
        var template = _paths.FirstOrDefault(p => p.Pattern.IsMatch(path)).Template;
        var method = request.Method.Method.ToLowerInvariant();
        if (template is null || !_document.GetProperty("paths").GetProperty(template).TryGetProperty(method, out var operation))
        {
            return null;
        }

        var name = $"{request.Method} {template}";
        var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!operation.GetProperty("responses").TryGetProperty(status, out var declared))
        {
            var statuses = string.Join(", ", operation.GetProperty("responses").EnumerateObject().Select(r => r.Name));
            return $"{name} answered {status}, which the OpenAPI document does not declare (it declares {statuses})";
        }

        var media = response.Content.Headers.ContentType?.MediaType;
        if (media is not ("application/json" or "application/problem+json")
            || !declared.TryGetProperty("content", out var content)
            || !content.TryGetProperty(media, out var mediaType)
            || !mediaType.TryGetProperty("schema", out var schema))
        {
            return null;
        }

        await response.Content.LoadIntoBufferAsync();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var results = Schema($"{name} {status} {media}", schema).Evaluate(body.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return null;
        }

        var errors = (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))
            .Take(5);
        return $"{name} answered {status} with a body that does not match its schema: {string.Join("; ", errors)}";
    }

    /// <summary>The operation's schema as a root of its own, with the document's components beside it for its $refs.</summary>
    private JsonSchema Schema(string key, JsonElement schema) => _schemas.GetOrAdd(key, _ =>
    {
        var root = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in schema.EnumerateObject())
        {
            root[property.Name] = property.Value;
        }

        root["components"] = _document.GetProperty("components");
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry(), Dialect = OpenApiDialect };
        return JsonSchema.FromText(JsonSerializer.Serialize(root), options, new Uri($"https://faceorleans.test/{Guid.NewGuid():N}"));
    });
}

/// <summary>Checks every answer a test client receives against <see cref="OpenApiContract"/>, failing the test that got it.</summary>
public sealed class OpenApiContractHandler(OpenApiContract contract) : DelegatingHandler
{
    /// <summary>A real socket handler, behind the checker once the document is loaded (null before: the start-up probes).</summary>
    public static HttpMessageHandler OverSockets(OpenApiContract? contract) =>
        contract is null ? new SocketsHttpHandler() : new OpenApiContractHandler(contract) { InnerHandler = new SocketsHttpHandler() };

    /// <summary>
    /// A client of an in-process host (a second API instance, a host with its own settings) whose answers are checked
    /// against that host's own document, with the redirect and cookie handling of <c>CreateClient</c>.
    /// </summary>
    /// <param name="createDefaultClient">The host's <c>CreateDefaultClient</c> (WebApplicationFactory's or <see cref="EmbeddedApiHost"/>'s).</param>
    public static async Task<HttpClient> CheckedClientAsync(Func<DelegatingHandler[], HttpClient> createDefaultClient)
    {
        using var plain = createDefaultClient([new RedirectHandler(), new CookieContainerHandler()]);
        return createDefaultClient([new RedirectHandler(), new CookieContainerHandler(), new OpenApiContractHandler(await OpenApiContract.LoadAsync(plain))]);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (await contract.ViolationAsync(request, response) is { } violation)
        {
            throw new Xunit.Sdk.XunitException(violation);
        }

        return response;
    }
}
