using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FaceOrleans.Contracts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace FaceOrleans.Tests.Api;

/// <summary>Per-tenant rate quotas over HTTP: token buckets set at run time, next to the concurrency limit.</summary>
[Collection(ApiGroup.Name)]
public sealed class ApiQuotaTests(ApiFixture fixture)
{
    [Fact]
    public async Task A_tenant_over_its_rate_quota_gets_429_with_retry_after_from_its_bucket_and_other_tenants_are_unaffected()
    {
        var tenant = "metered-" + Guid.NewGuid().ToString("N")[..6];
        using var admin = fixture.Client(ApiFixture.AdminKey);
        using var client = fixture.Client(await fixture.IssueKeyAsync(tenant, ApiKeyRole.Tenant));
        using var other = fixture.Client(fixture.DemoKeys["ACCESS_KEY"]);
        using var scraper = fixture.Client();
        var series = MetricsText.QuotaRejections(tenant, "rate");
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/v1/{tenant}/quota", new { requests = 1, per_seconds = 30, burst = 2 })).StatusCode);
        var before = MetricsText.Value(await scraper.GetStringAsync("/metrics"), series);

        // A burst of two, then one request every 30 s.
        var first = await Detect(client, tenant);
        var second = await Detect(client, tenant);
        var third = await Detect(client, tenant);
        var otherTenant = await Detect(other, "access");
        var after = MetricsText.Value(await scraper.GetStringAsync("/metrics"), series);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        var problem = await ProblemAssert.IsProblemAsync(third, HttpStatusCode.TooManyRequests, "tenant-over-quota");
        Assert.Equal("rate", problem.GetProperty("limit").GetString());
        // The bucket is empty and gains its next token 30 s after its last: Retry-After says so, not a fixed second.
        Assert.Equal(TimeSpan.FromSeconds(30), third.Headers.RetryAfter?.Delta);
        Assert.Equal(30, problem.GetProperty("retry_after_seconds").GetInt32());
        Assert.Equal(HttpStatusCode.OK, otherTenant.StatusCode);
        Assert.Equal(before + 1, after);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/{tenant}/quota")).StatusCode);
    }

    [Fact]
    public async Task A_quota_changed_at_run_time_applies_at_once_here_and_within_the_refresh_interval_on_another_api_instance()
    {
        var tenant = "changing-" + Guid.NewGuid().ToString("N")[..6];
        var key = await fixture.IssueKeyAsync(tenant, ApiKeyRole.Tenant);
        using var admin = fixture.Client(ApiFixture.AdminKey);
        using var here = fixture.Client(key);
        await using var secondInstance = SecondApiInstance();
        using var there = await OpenApiContractHandler.CheckedClientAsync(secondInstance.CreateDefaultClient);
        there.DefaultRequestHeaders.Add("X-Api-Key", key);

        // No quota yet: both instances serve, and have now looked the tenant up.
        Assert.Equal(HttpStatusCode.OK, (await Detect(here, tenant)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Detect(there, tenant)).StatusCode);

        await admin.PutAsJsonAsync($"/v1/{tenant}/quota", new { requests = 1, per_seconds = 60, burst = 1 });
        var allowed = await Detect(here, tenant);
        var refused = await Detect(here, tenant);
        // The other instance was not told; it asks the tenant's grain again once its copy is older than the refresh interval.
        var refusedThere = await Polling.UntilAsync(() => Detect(there, tenant), r => r.StatusCode == HttpStatusCode.TooManyRequests,
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(250));

        await admin.PutAsJsonAsync($"/v1/{tenant}/quota", new { requests = 1000, per_seconds = 1 });
        var raised = await Detect(here, tenant);
        var shown = await here.GetFromJsonAsync<JsonElement>($"/v1/{tenant}/quota");
        var removed = await admin.DeleteAsync($"/v1/{tenant}/quota");
        var none = await here.GetFromJsonAsync<JsonElement>($"/v1/{tenant}/quota");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.TooManyRequests), (allowed.StatusCode, refused.StatusCode));
        Assert.Equal("rate", (await ProblemAssert.IsProblemAsync(refusedThere, HttpStatusCode.TooManyRequests, "tenant-over-quota")).GetProperty("limit").GetString());
        Assert.Equal(HttpStatusCode.OK, raised.StatusCode);
        Assert.Equal((1000, 1.0, 1000), (shown.GetProperty("rate_limit").GetProperty("requests").GetInt32(),
            shown.GetProperty("rate_limit").GetProperty("per_seconds").GetDouble(), shown.GetProperty("rate_limit").GetProperty("burst").GetInt32()));
        Assert.Equal((8, 2.0), (shown.GetProperty("max_concurrent_requests").GetInt32(), shown.GetProperty("refresh_seconds").GetDouble()));
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(JsonValueKind.Null, none.GetProperty("rate_limit").ValueKind);
    }

    [Fact]
    public async Task Only_an_admin_sets_a_quota_and_a_bad_one_is_refused_naming_the_field()
    {
        using var admin = fixture.Client(ApiFixture.AdminKey);
        using var tenantAdmin = fixture.Client(fixture.DemoKeys["ACCESS_KEY"]);

        var byTenantAdmin = await tenantAdmin.PutAsJsonAsync("/v1/access/quota", new { requests = 100000, per_seconds = 1 });
        var zero = await admin.PutAsJsonAsync("/v1/access/quota", new { requests = 0, per_seconds = 1 });
        var noPeriod = await admin.PutAsJsonAsync("/v1/access/quota", new { requests = 5 });
        var state = await tenantAdmin.GetFromJsonAsync<JsonElement>("/v1/access/quota");

        await ProblemAssert.IsProblemAsync(byTenantAdmin, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal("requests", (await ProblemAssert.IsProblemAsync(zero, HttpStatusCode.BadRequest, "invalid-parameter")).GetProperty("field").GetString());
        Assert.Equal("per_seconds", (await ProblemAssert.IsProblemAsync(noPeriod, HttpStatusCode.BadRequest, "missing-field")).GetProperty("field").GetString());
        Assert.Equal(JsonValueKind.Null, state.GetProperty("rate_limit").ValueKind);
    }

    /// <summary>A second API instance, a plain Orleans client of the fixture's cluster, as behind a load balancer.</summary>
    private WebApplicationFactory<Program> SecondApiInstance() => new ApiFactory().WithWebHostBuilder(web =>
    {
        web.UseSetting("FaceOrleans:Api:AdminKeySha256", ApiKeyHash.Of(ApiFixture.AdminKey));
        web.UseSetting("FaceOrleans:Api:DemoTenants:0", string.Empty);
        web.UseSetting("FaceOrleans:Api:DemoTenants:1", string.Empty);
        web.UseSetting("FaceOrleans:Cluster:ClusterId", fixture.HostSettings["FaceOrleans:Cluster:ClusterId"]);
        web.UseSetting("FaceOrleans:Cluster:GatewayPort", fixture.HostSettings["FaceOrleans:Cluster:GatewayPort"]);
    });

    private static Task<HttpResponseMessage> Detect(HttpClient client, string tenant) =>
        client.PostAsync($"/v1/{tenant}/detect", ApiFixture.Form(("image", "img10.jpg")));
}
