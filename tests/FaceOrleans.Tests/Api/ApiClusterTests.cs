using System.Net;
using System.Text.Json;
using FaceOrleans.Contracts;
using FaceOrleans.Tests.Cluster;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;

namespace FaceOrleans.Tests.Api;

/// <summary>The API as a plain Orleans client of a two-silo Redis cluster, as in production.</summary>
public sealed class ApiClusterTests
{
    [Fact]
    public async Task A_slice_going_down_gives_503_with_retry_after_for_its_tenant_and_degrades_readiness_without_failing_it_until_it_returns()
    {
        await using var redis = await RedisServer.StartAsync();
        var clusterId = "api-redis-" + Guid.NewGuid().ToString("N")[..8];
        Dictionary<string, string?> Silo(string slice, string tenant)
        {
            var settings = RealHosts.SiloSettings(slice, [tenant], clusterId);
            settings["FaceOrleans:Cluster:Mode"] = "Redis";
            settings["FaceOrleans:Cluster:Redis"] = redis.ConnectionString;
            settings["FaceOrleans:Placement:RetryAfterSeconds"] = "9";
            return settings;
        }

        var doors = await RealHosts.StartSiloAsync(Silo("mig-1", "access"));
        var clock = await RealHosts.StartSiloAsync(Silo("mig-2", "attendance"));
        await using var api = new ApiFactory().WithWebHostBuilder(web =>
        {
            web.UseSetting("FaceOrleans:Api:AdminKeySha256", ApiKeyHash.Of(ApiFixture.AdminKey));
            web.UseSetting("FaceOrleans:Api:DemoTenants:0", string.Empty);
            web.UseSetting("FaceOrleans:Api:DemoTenants:1", string.Empty);
            web.UseSetting("FaceOrleans:Cluster:Mode", "Redis");
            web.UseSetting("FaceOrleans:Cluster:Redis", redis.ConnectionString);
            web.UseSetting("FaceOrleans:Cluster:ClusterId", clusterId);
            web.UseSetting("FaceOrleans:Cluster:ServiceId", "faceorleans-tests");
        });
        using var admin = await OpenApiContractHandler.CheckedClientAsync(api.CreateDefaultClient);
        admin.DefaultRequestHeaders.Add("X-Api-Key", ApiFixture.AdminKey);
        try
        {
            var ready = await EventuallyAsync(() => admin.GetAsync("/health/ready"), r => r.StatusCode == HttpStatusCode.OK);
            Assert.Contains("mig-1", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/v1/access/detect", ApiFixture.Form(("image", "img10.jpg")))).StatusCode);

            await doors.StopAsync();
            doors.Dispose();

            var unavailable = await EventuallyAsync(() => admin.PostAsync("/v1/access/detect", ApiFixture.Form(("image", "img10.jpg"))),
                r => r.StatusCode == HttpStatusCode.ServiceUnavailable);
            var problem = await ProblemAssert.IsProblemAsync(unavailable, HttpStatusCode.ServiceUnavailable, "slice-unavailable");
            Assert.Equal("mig-1", problem.GetProperty("slice").GetString());
            Assert.Equal(TimeSpan.FromSeconds(9), unavailable.Headers.RetryAfter?.Delta);
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/v1/attendance/detect", ApiFixture.Form(("image", "img10.jpg")))).StatusCode);
            // Readiness stays 200 (an orchestrator must not restart an API that serves attendance) and names the slice
            // that is down; /health/slices, for monitoring, fails on it; liveness is untouched.
            var degraded = await admin.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, degraded.StatusCode);
            var report = JsonDocument.Parse(await degraded.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("degraded", report.GetProperty("status").GetString());
            Assert.Equal("slice(s) down: mig-1", report.GetProperty("checks").GetProperty("cluster").GetProperty("description").GetString());
            Assert.StartsWith("ok", report.GetProperty("checks").GetProperty("cluster").GetProperty("data").GetProperty("mig-2").GetString(), StringComparison.Ordinal);
            var slices = await admin.GetAsync("/health/slices");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, slices.StatusCode);
            Assert.Equal("degraded", JsonDocument.Parse(await slices.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/health/live")).StatusCode);

            // Every slice down: nobody can be served, and readiness fails.
            await clock.StopAsync();
            clock.Dispose();
            var notReady = await EventuallyAsync(() => admin.GetAsync("/health/ready"), r => r.StatusCode == HttpStatusCode.ServiceUnavailable);
            Assert.Equal("unhealthy", JsonDocument.Parse(await notReady.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());

            doors = await RealHosts.StartSiloAsync(Silo("mig-1", "access"));
            clock = await RealHosts.StartSiloAsync(Silo("mig-2", "attendance"));
            await EventuallyAsync(() => admin.GetAsync("/health/slices"), r => r.StatusCode == HttpStatusCode.OK);
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/v1/access/detect", ApiFixture.Form(("image", "img10.jpg")))).StatusCode);
        }
        finally
        {
            await RealHosts.StopAllAsync(doors, clock);
        }
    }

    private static async Task<HttpResponseMessage> EventuallyAsync(Func<Task<HttpResponseMessage>> call, Func<HttpResponseMessage, bool> done)
    {
        HttpResponseMessage? last = null;
        for (var attempt = 0; attempt < 120; attempt++)
        {
            last = await call();
            if (done(last))
            {
                return last;
            }

            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"never reached the expected answer; last {(int)last!.StatusCode}: {await last.Content.ReadAsStringAsync()}");
    }
}
