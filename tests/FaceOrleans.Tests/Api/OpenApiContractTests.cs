using System.Net;
using System.Text;
using System.Text.Json;

namespace FaceOrleans.Tests.Api;

/// <summary>
/// The served OpenAPI document is a contract a client can be generated from: the key scheme on every keyed route,
/// the catalogue's problem schema on every error status, operation ids, described tags and the real success codes.
/// And the checker every fixture client runs answers through does refuse what the document does not allow.
/// </summary>
[Collection(ApiGroup.Name)]
public sealed class OpenApiContractTests(ApiFixture fixture)
{
    private static readonly string[] OpenRoutes = ["/health/live", "/health/ready", "/health", "/health/slices"];

    [Fact]
    public async Task Every_operation_has_an_id_its_security_and_its_errors_as_problems()
    {
        using var client = fixture.Client();
        var document = JsonDocument.Parse(await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative))).RootElement;

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal(("apiKey", "header", "X-Api-Key"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("in").GetString(), scheme.GetProperty("name").GetString()));
        Assert.All(document.GetProperty("tags").EnumerateArray(), t => Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("description").GetString())));
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Path: p.Name, Method: o.Name, Operation: o.Value)))
            .ToArray();
        Assert.True(operations.Length >= 30, $"only {operations.Length} operations");
        foreach (var (path, method, operation) in operations)
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            Assert.False(string.IsNullOrEmpty(operation.TryGetProperty("operationId", out var id) ? id.GetString() : null), $"{name} has no operationId");
            var requirement = Assert.Single(operation.GetProperty("security").EnumerateArray());
            Assert.True(OpenRoutes.Contains(path) != requirement.TryGetProperty("ApiKey", out _), $"{name}: its key requirement is wrong");
            var responses = operation.GetProperty("responses").EnumerateObject().ToArray();
            Assert.Contains(responses, r => r.Name.StartsWith('2'));
            foreach (var error in responses.Where(r => r.Name[0] is '4' or '5' && !OpenRoutes.Contains(path)))
            {
                var schema = error.Value.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString();
                Assert.Equal("#/components/schemas/Problem", schema);
            }

            if (!OpenRoutes.Contains(path))
            {
                Assert.Contains(responses, r => r.Name == "401");
            }
        }

        var revoke = document.GetProperty("paths").GetProperty("/v1/keys/{id}").GetProperty("delete").GetProperty("responses");
        Assert.True(revoke.TryGetProperty("204", out _) && !revoke.TryGetProperty("200", out _), "DELETE /v1/keys/{id} answers 204");
        var problem = document.GetProperty("components").GetProperty("schemas").GetProperty("Problem").GetProperty("properties");
        foreach (var property in new[] { "type", "title", "status", "detail", "field", "image", "reasons", "limit_bytes" })
        {
            Assert.True(problem.TryGetProperty(property, out _), $"the Problem schema has no {property}");
        }
    }

    [Fact]
    public async Task The_checker_refuses_an_undeclared_status_and_a_body_that_does_not_match_its_schema()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("http://localhost/v1/keys"));
        using var teapot = new HttpResponseMessage((HttpStatusCode)418);
        using var wrongBody = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"keys\": 3}", Encoding.UTF8, "application/json") };
        using var problem = new HttpResponseMessage(HttpStatusCode.Unauthorized)
        {
            Content = new StringContent("{\"title\": 1}", Encoding.UTF8, "application/problem+json"),
        };
        using var revoke = new HttpRequestMessage(HttpMethod.Delete, new Uri("http://localhost/v1/keys/abc"));
        using var revoked = new HttpResponseMessage(HttpStatusCode.NoContent);

        Assert.Contains("does not declare", await fixture.Contract.ViolationAsync(request, teapot), StringComparison.Ordinal);
        Assert.Contains("does not match", await fixture.Contract.ViolationAsync(request, wrongBody), StringComparison.Ordinal);
        Assert.Contains("does not match", await fixture.Contract.ViolationAsync(request, problem), StringComparison.Ordinal);
        Assert.Null(await fixture.Contract.ViolationAsync(revoke, revoked));
    }

    [Fact]
    public async Task Revoking_a_key_answers_the_documented_204()
    {
        using var admin = fixture.Client(ApiFixture.AdminKey);
        var issued = await admin.PostAsync(new Uri("/v1/keys", UriKind.Relative),
            new StringContent("{\"tenant\": \"attendance\", \"role\": \"Tenant\"}", Encoding.UTF8, "application/json"));
        var id = (await ApiFixture.OkJsonAsync(issued)).GetProperty("id").GetString();

        // The fixture's client has checked this answer against the document on the way.
        var revoked = await admin.DeleteAsync(new Uri($"/v1/keys/{id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
    }
}
