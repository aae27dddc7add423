using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using FaceOrleans.Contracts;

namespace FaceOrleans.Tests.Api;

[Collection(ApiGroup.Name)]
public sealed class ApiAuthTests(ApiFixture fixture)
{
    [Fact]
    public async Task No_key_is_401_and_an_unknown_key_is_401()
    {
        using var anonymous = fixture.Client();
        using var stranger = fixture.Client("fo_not-a-real-key");

        var none = await anonymous.GetAsync("/v1/attendance");
        var unknown = await stranger.GetAsync("/v1/attendance");

        await ProblemAssert.IsProblemAsync(none, HttpStatusCode.Unauthorized, "missing-api-key");
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.Unauthorized, "invalid-api-key");
        Assert.Contains("X-Api-Key", none.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenants_key_works_only_for_that_tenant()
    {
        var key = await fixture.IssueKeyAsync("attendance", ApiKeyRole.Tenant);
        using var client = fixture.Client(key);

        var own = await client.GetAsync("/v1/attendance");
        var other = await client.GetAsync("/v1/access");
        var otherCompare = await client.PostAsync("/v1/access/compare", ApiFixture.Form(("image1", "img10.jpg"), ("image2", "img2.jpg")));
        var configure = await client.PutAsJsonAsync("/v1/attendance/config", new { display_name = "x" });
        var cluster = await client.GetAsync("/v1/cluster");
        var keys = await client.GetAsync("/v1/keys");

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        await ProblemAssert.IsProblemAsync(other, HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(otherCompare, HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(configure, HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(cluster, HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(keys, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task A_tenant_admin_key_configures_its_own_tenant_only_and_an_admin_key_everything()
    {
        var tenantAdmin = await fixture.IssueKeyAsync("access", ApiKeyRole.TenantAdmin);
        using var client = fixture.Client(tenantAdmin);
        using var admin = fixture.Client(ApiFixture.AdminKey);

        var own = await client.PutAsJsonAsync("/v1/access/config", new { display_name = "Gate" });
        var other = await client.PutAsJsonAsync("/v1/attendance/config", new { display_name = "Gate" });
        var adminConfigures = await admin.PutAsJsonAsync("/v1/attendance/config", new { });
        var adminCompares = await admin.PostAsync("/v1/access/compare", ApiFixture.Form(("image1", "img10.jpg"), ("image2", "img2.jpg")));

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        await ProblemAssert.IsProblemAsync(other, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(HttpStatusCode.OK, adminConfigures.StatusCode);
        Assert.Equal(HttpStatusCode.OK, adminCompares.StatusCode);
        await admin.PutAsJsonAsync("/v1/access/config", new { });
    }

    [Fact]
    public async Task Keys_are_added_and_revoked_without_a_restart_and_stored_only_hashed()
    {
        using var admin = fixture.Client(ApiFixture.AdminKey);
        var issued = await (await admin.PostAsJsonAsync("/v1/keys", new { tenant = "attendance", role = "Tenant" })).Content.ReadFromJsonAsync<IssuedApiKey>(
            new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } });
        using var client = fixture.Client(issued!.Key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/attendance")).StatusCode);

        var listing = await admin.GetStringAsync("/v1/keys");
        Assert.Contains(issued.Id, listing, StringComparison.Ordinal);
        Assert.DoesNotContain(issued.Key, listing, StringComparison.Ordinal);
        var stored = await fixture.Factory.Services.GetRequiredService<IClusterClient>().GetGrain<IApiKeysGrain>("default").Snapshot();
        Assert.Contains(stored.Keys, k => k.Id == issued.Id && k.Sha256 == ApiKeyHash.Of(issued.Key));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/keys/{issued.Id}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/v1/attendance"), HttpStatusCode.Unauthorized, "invalid-api-key");
        await ProblemAssert.IsProblemAsync(await admin.DeleteAsync($"/v1/keys/{issued.Id}"), HttpStatusCode.NotFound, "unknown-key");
    }
}
