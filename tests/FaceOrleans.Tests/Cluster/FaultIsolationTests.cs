using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using FaceOrleans.Tests.Api;
using Xunit.Abstractions;

namespace FaceOrleans.Tests.Cluster;

/// <summary>
/// The product's promise under <c>kill -9</c>, on real processes (<see cref="ProcessCluster"/>) with closed-loop
/// compares and enrollments on all three tenants (<see cref="TenantLoad"/>): a dying silo fails only its own tenant,
/// fast and with a typed 503, and nothing answered 201 is lost. Also: a silo that only stands by dies, and the API
/// process dies and comes back. About two minutes, most of it starting processes.
/// </summary>
[Collection(FaultIsolationGroup.Name)]
public sealed class FaultIsolationTests(ITestOutputHelper output)
{
    private static readonly string[] Bystanders = ["access", "analytics"];

    /// <summary>The issue's bounds: no bystander request slower than this, and the killed tenant's first 503 within it.</summary>
    private const double Slow = 5;

    /// <summary>The killed tenant is served again within this after its silo is started again.</summary>
    private const double BackWithin = 15;

    /// <summary>
    /// How much slower than the slowest request of the fault-free minute before the kill a request may be. On a quiet
    /// machine that minute's slowest request is well under a second and the issue's 5 s bounds apply as they are; on a
    /// shared machine where every request is slow, the bounds grow with it, so that they measure what a fault does to
    /// a tenant, not how busy the cores are. A resent call may do its work twice, hence more than 2.
    /// </summary>
    private const double Contention = 3;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly StringBuilder _timeline = new();

    [Fact]
    public async Task Killing_a_silo_fails_only_its_own_tenant_fast_and_loses_no_enrollment()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        await CreateSubjectsAsync(cluster);
        var load = new TenantLoad(cluster.Api, cluster.KeysByTenant, _clock, cluster.Contract!);
        List<string> violations = [];
        IReadOnlyList<LoadOutcome> outcomes;
        double warm, killed, restarted, rejoined, standbyKilled, standbyQuiet, apiKilled, apiBack, end;
        try
        {
            // The first requests warm every slice up (sessions, activations); the bounds hold from then on.
            await AllServedAsync(load, since: Now());
            warm = Now();
            await Task.Delay(TimeSpan.FromSeconds(10));

            // 1. attendance's silo dies, and is started again a while later.
            killed = await Mark("kill -9 cpu-1 (attendance)", () => cluster.KillSiloAsync("cpu-1"));
            await UntilAsync(() => load.Outcomes.Any(o => o.Tenant == "attendance" && o.Start > killed && o.Status == 503), 20);
            await Task.Delay(TimeSpan.FromSeconds(4));
            restarted = await Mark("start cpu-1 again", () =>
            {
                cluster.StartSilo("cpu-1");
                return Task.CompletedTask;
            });
            await cluster.WaitForGatewayAsync("cpu-1");
            rejoined = await Mark("cpu-1 has joined again", () => Task.CompletedTask);
            await UntilAsync(() => load.Outcomes.Any(o => o.Tenant == "attendance" && o.Start > restarted && o.Succeeded), 60);
            await AllServedAsync(load, since: Now());

            // 2. a silo that serves no tenant (it stands by for analytics) dies: nobody may notice.
            standbyKilled = await Mark("kill -9 cpu-4 (standby only)", () => cluster.KillSiloAsync("cpu-4"));
            await Task.Delay(TimeSpan.FromSeconds(8));
            standbyQuiet = Now();

            // 3. the API dies and comes back: clients see connection errors only while it is down.
            apiKilled = await Mark("kill -9 API", cluster.KillApiAsync);
            await Task.Delay(TimeSpan.FromSeconds(2));
            await cluster.StartApiAsync();
            apiBack = await Mark("API ready again", () => Task.CompletedTask);
            await AllServedAsync(load, since: apiBack);
            end = Now();
        }
        finally
        {
            await load.DisposeAsync();
            outcomes = load.Outcomes;
            output.WriteLine(_timeline.ToString());
            output.WriteLine(Summary(outcomes));
        }

        // No request anywhere is a 500 or a hang.
        var all = outcomes;
        outcomes = outcomes.Where(o => o.Start >= warm).ToArray();
        violations.AddRange(outcomes.Where(o => o.Status >= 500 && o.Status != 503).Select(o => "a server error: " + o));
        violations.AddRange(load.OffContract.Distinct(StringComparer.Ordinal).Select(v => "off the OpenAPI document: " + v));
        var baseline = outcomes.Where(o => o.End < killed && o.Succeeded).Max(o => o.Seconds);
        var slow = Math.Max(Slow, Contention * baseline);
        output.WriteLine($"slowest request before any fault: {baseline:0.00} s, so the bound for 'slow' is {slow:0.00} s (5 s on a quiet machine)");
        // A request sent while the API itself was down or starting again waits for that process, not for a silo fault:
        // beside a CPU hog the restarted API took 9 s to answer its first requests, every tenant's alike.
        bool DuringTheApisRestart(LoadOutcome o) => o.Start >= apiKilled && o.Start <= apiBack;
        violations.AddRange(outcomes.Where(o => o.Seconds > slow && !DuringTheApisRestart(o) && !(o.Status == TenantLoad.ConnectionError && o.Start >= apiKilled)).Select(o => $"slower than {slow:0.0} s: " + o));

        // Bystanders: not one failure, except connection errors while the API itself was down.
        // A request cut off by the API's own death fails with a connection error, whoever's it is.
        bool DownWithTheApi(LoadOutcome o) => o.Status == TenantLoad.ConnectionError && o.End >= apiKilled && o.Start <= apiBack;
        violations.AddRange(outcomes.Where(o => Bystanders.Contains(o.Tenant) && !o.Succeeded && !DownWithTheApi(o)).Select(o => "a bystander failed: " + o));

        // The killed tenant: answered, or a typed 503 with Retry-After; the first 503 within 5 s of the kill.
        var attendance = outcomes.Where(o => o.Tenant == "attendance" && o.End > killed && o.Start < apiKilled && !DownWithTheApi(o)).ToArray();
        violations.AddRange(attendance.Where(o => !o.Succeeded && !(o.Status == 503 && o.Problem?.EndsWith("/slice-unavailable", StringComparison.Ordinal) == true && o.RetryAfter is not null))
            .Select(o => "attendance failed other than 503 slice-unavailable with Retry-After: " + o));
        var first503 = attendance.Where(o => o.Status == 503).Select(o => o.End).DefaultIfEmpty(double.NaN).Min();
        var firstBack = attendance.Where(o => o.Start > restarted && o.Succeeded).Select(o => o.End).DefaultIfEmpty(double.NaN).Min();
        output.WriteLine($"kill -> first 503: {first503 - killed:0.00} s; restart -> joined: {rejoined - restarted:0.00} s; joined -> first success: {firstBack - rejoined:0.00} s");
        if (!(first503 - killed <= slow))
        {
            violations.Add($"attendance's first 503 came {first503 - killed:0.00} s after the kill");
        }

        // From when the silo has joined: how long its start takes (models loaded and checked) depends on the machine.
        if (!(firstBack - rejoined <= Math.Max(BackWithin, slow * BackWithin / Slow)))
        {
            violations.Add($"attendance was served again {firstBack - rejoined:0.00} s after its silo joined again");
        }

        // Nobody noticed the standby-only silo die.
        violations.AddRange(outcomes.Where(o => o.End >= standbyKilled && o.Start <= standbyQuiet && !o.Succeeded && !DownWithTheApi(o))
            .Select(o => "failed while the standby died: " + o));

        // Every enrollment answered 201 is stored: the store deletes exactly those faces it holds.
        violations.AddRange(await MissingEnrollmentsAsync(cluster, all));
        Assert.True(outcomes.Any(o => o.Succeeded && o.Start > end - 30), "the load did not run");
        Assert.True(violations.Count == 0, string.Join('\n', violations.Take(30).Prepend($"{violations.Count} violations:")) + "\n" + await cluster.SaveLogsAsync());
    }

    private static async Task CreateSubjectsAsync(ProcessCluster cluster)
    {
        foreach (var (tenant, key) in cluster.KeysByTenant)
        {
            using var http = Client(cluster, key);
            // A 503 while the cluster still learns its slices is retried; a retry after a create that did run gets 409.
            var created = await Polling.UntilAsync(
                async () =>
                {
                    using var response = await http.PostAsJsonAsync(new Uri($"/v1/{tenant}/subjects", UriKind.Relative), new { id = TenantLoad.Subject });
                    return response.StatusCode;
                },
                status => status != HttpStatusCode.ServiceUnavailable, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(500));
            Assert.Contains(created, new[] { HttpStatusCode.Created, HttpStatusCode.Conflict });
        }
    }

    private static async Task<IEnumerable<string>> MissingEnrollmentsAsync(ProcessCluster cluster, IReadOnlyList<LoadOutcome> outcomes)
    {
        List<string> missing = [];
        foreach (var (tenant, key) in cluster.KeysByTenant)
        {
            using var http = Client(cluster, key);
            foreach (var face in outcomes.Where(o => o.Tenant == tenant && o.FaceId is not null))
            {
                using var deleted = await http.DeleteAsync(new Uri($"/v1/{tenant}/subjects/{TenantLoad.Subject}/faces/{face.FaceId}", UriKind.Relative));
                if (deleted.StatusCode != HttpStatusCode.NoContent)
                {
                    missing.Add($"enrolled face {face.FaceId} is not stored ({(int)deleted.StatusCode}): {face}");
                }
            }
        }

        return missing;
    }

    private static HttpClient Client(ProcessCluster cluster, string key)
    {
        var http = new HttpClient(OpenApiContractHandler.OverSockets(cluster.Contract)) { BaseAddress = cluster.Api, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        return http;
    }

    /// <summary>Waits until every tenant has had a compare and an enrollment answered since <paramref name="since"/>.</summary>
    private async Task AllServedAsync(TenantLoad load, double since) =>
        await UntilAsync(() => ProcessCluster.SliceOfTenant.Keys.All(t =>
            load.Outcomes.Any(o => o.Tenant == t && o.Kind == "compare" && o.Start > since && o.Succeeded)
            && load.Outcomes.Any(o => o.Tenant == t && o.Kind == "enroll" && o.Start > since && o.Succeeded)), 120);

    private async Task UntilAsync(Func<bool> condition, double seconds)
    {
        var deadline = Now() + seconds;
        while (!condition() && Now() < deadline)
        {
            await Task.Delay(100);
        }

        _timeline.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"{Now(),7:0.00} s  {(condition() ? "reached" : "gave up waiting")}");
    }

    private async Task<double> Mark(string what, Func<Task> action)
    {
        var at = Now();
        await action();
        _timeline.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"{at,7:0.00} s  {what}");
        return at;
    }

    private double Now() => _clock.Elapsed.TotalSeconds;

    /// <summary>Per tenant and second-long slot around the faults: requests, failures and the slowest.</summary>
    private static string Summary(IReadOnlyList<LoadOutcome> outcomes) => string.Join('\n', outcomes
        .GroupBy(o => (o.Tenant, Slot: (int)(o.Start / 5) * 5))
        .OrderBy(g => g.Key.Slot).ThenBy(g => g.Key.Tenant, StringComparer.Ordinal)
        .Select(g => $"{g.Key.Slot,4}s {g.Key.Tenant,-10} {g.Count(),4} req {g.Count(o => !o.Succeeded),4} failed  max {g.Max(o => o.Seconds):0.00} s  "
            + string.Join(',', g.Where(o => !o.Succeeded).Select(o => o.Status).Distinct())));
}

/// <summary>Runs alone: its bounds are about isolation, and other tests' load on the same cores would only blur them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultIsolationGroup
{
    public const string Name = "fault isolation";
}
