using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using FaceOrleans.Tests.Cluster;

namespace FaceOrleans.Tests.Api;

/// <summary>
/// What the real server (Kestrel, a real socket) refuses before or around an endpoint: stalled and oversized bodies,
/// the wrong media type, unreadable forms and JSON, unknown tenants, and a second instance on a port already taken.
/// Every refusal is a problem from the catalogue, none a 5xx.
/// </summary>
[Collection(ApiProcessGroup.Name)]
public sealed class ApiProcessRefusalTests(ApiProcessFixture api)
{
    [Fact]
    public async Task A_body_that_stalls_is_answered_408_and_its_connection_closed_within_the_body_timeout()
    {
        // A photo's form, declared 1,000 bytes longer than what is sent: the body never completes.
        var photo = TestPaths.Photo("img10.jpg");
        var body = Encoding.ASCII.GetBytes("--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
            .Concat(photo).Concat("\r\n--b--\r\n"u8.ToArray()).ToArray();
        var head = $"POST /v1/attendance/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: {api.AttendanceKey}\r\n" +
            $"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {body.Length + 1000}\r\n\r\n";
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(api.BaseAddress.Host, api.BaseAddress.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(head).Concat(body).ToArray());

        // Read until the server closes the connection; far longer than the bound, so only a server that never answers fails.
        using var patience = new CancellationTokenSource(ApiProcessFixture.RequestBodyTimeout * 6);
        var answer = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, patience.Token)) > 0)
        {
            answer.Write(buffer, 0, read);
        }

        var text = Encoding.UTF8.GetString(answer.ToArray());
        Assert.StartsWith("HTTP/1.1 408", text, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", text, StringComparison.Ordinal);
        Assert.Contains("https://faceorleans.dev/problems/request-timeout", text, StringComparison.Ordinal);
        Assert.Contains($"within {ApiProcessFixture.RequestBodyTimeout.TotalSeconds:0} s", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Framework_refusals_are_catalogue_problems_naming_the_media_type_the_field_or_the_limit()
    {
        using var client = api.Client(api.AdminKey);

        var json = await client.PostAsJsonAsync(new Uri("/v1/attendance/detect", UriKind.Relative), new { image = "x" });
        using var brokenForm = new ByteArrayContent("--abc\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nxx\r\n--abc--\r\n"u8.ToArray());
        brokenForm.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=xyz");
        var boundary = await client.PostAsync(new Uri("/v1/attendance/detect", UriKind.Relative), brokenForm);
        using var badThreshold = new StringContent("{\"similarity_threshold\":\"abc\"}", Encoding.UTF8, "application/json");
        var typed = await client.PutAsync(new Uri("/v1/attendance/config", UriKind.Relative), badThreshold);

        Assert.Contains("multipart/form-data", (await ProblemAssert.IsProblemAsync(json, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type"))
            .GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("boundary", (await ProblemAssert.IsProblemAsync(boundary, HttpStatusCode.BadRequest, "malformed-form"))
            .GetProperty("detail").GetString(), StringComparison.Ordinal);
        var field = await ProblemAssert.IsProblemAsync(typed, HttpStatusCode.BadRequest, "invalid-parameter");
        Assert.Equal("similarity_threshold", field.GetProperty("field").GetString());
        Assert.Contains("similarity_threshold", field.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_kestrels_limit_is_413_saying_the_limit()
    {
        using var handler = new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(1) };
        using var checkedHandler = new OpenApiContractHandler(api.Contract!) { InnerHandler = handler };
        using var client = new HttpClient(checkedHandler) { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Add("X-Api-Key", api.AttendanceKey);
        client.DefaultRequestHeaders.ExpectContinue = true;
        var limit = (2 * ApiProcessFixture.MaxUploadBytes) + (64 * 1024);

        var response = await client.PostAsync(new Uri("/v1/attendance/detect", UriKind.Relative), ApiFixture.Form("image", new byte[limit + 1]));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "upload-too-large");
        Assert.Equal(limit, problem.GetProperty("limit_bytes").GetInt64());
        Assert.Contains(limit.ToString(CultureInfo.InvariantCulture), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task By_default_a_tenant_the_cluster_does_not_know_is_404_and_gets_no_metrics_series()
    {
        using var admin = api.Client(api.AdminKey);
        var tenant = "typo" + Guid.NewGuid().ToString("N")[..6];

        var detect = await admin.PostAsync(new Uri($"/v1/{tenant}/detect", UriKind.Relative), ApiFixture.Form(("image", "img10.jpg")));
        var state = await admin.GetAsync(new Uri($"/v1/{tenant}", UriKind.Relative));
        var known = await admin.GetAsync(new Uri("/v1/attendance", UriKind.Relative));

        await ProblemAssert.IsProblemAsync(detect, HttpStatusCode.NotFound, "unknown-tenant");
        await ProblemAssert.IsProblemAsync(state, HttpStatusCode.NotFound, "unknown-tenant");
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.DoesNotContain(tenant, await api.Client().GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http", "--urls")]
    [InlineData("silo", "--FaceOrleans:Cluster:SiloPort")]
    [InlineData("gateway", "--FaceOrleans:Cluster:GatewayPort")]
    public async Task A_second_instance_on_a_port_in_use_exits_1_with_one_line_naming_the_port_and_its_setting(string taken, string setting)
    {
        var free = () => RealHosts.FreePort().ToString(CultureInfo.InvariantCulture);
        var (http, silo, gateway) = taken switch
        {
            "http" => (api.BaseAddress.Port.ToString(CultureInfo.InvariantCulture), free(), free()),
            "silo" => (free(), api.SiloPort.ToString(CultureInfo.InvariantCulture), free()),
            _ => (free(), free(), api.GatewayPort.ToString(CultureInfo.InvariantCulture)),
        };
        var port = taken switch { "http" => http, "silo" => silo, _ => gateway };
        var data = Directory.CreateTempSubdirectory("faceorleans-second-");
        try
        {
            var second = await TestProcess.RunAsync("dotnet",
            [
                TestPaths.SiloAssembly, TestPaths.EmbeddedCommand, "--urls", $"http://127.0.0.1:{http}",
                $"--FaceOrleans:Cluster:SiloPort={silo}", $"--FaceOrleans:Cluster:GatewayPort={gateway}",
                $"--FaceOrleans:Cluster:StoragePath={Path.Combine(data.FullName, "state.db")}",
                $"--FaceOrleans:Api:DemoKeysFile={Path.Combine(data.FullName, "demo-keys.env")}",
                $"--FaceOrleans:Models:Directory={TestPaths.ModelsDirectory}",
            ], data.FullName, TimeSpan.FromMinutes(2));

            Assert.Equal(1, second.ExitCode);
            var line = Assert.Single((second.Stdout + second.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.StartsWith("error: ", line, StringComparison.Ordinal);
            Assert.Contains($"port {port} ", line, StringComparison.Ordinal);
            Assert.Contains(setting, line, StringComparison.Ordinal);
        }
        finally
        {
            data.Delete(recursive: true);
        }

        // The first instance still owns its ports and answers.
        using var client = api.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public void A_healthy_start_logs_no_warning_or_error()
    {
        var lines = api.StartupOutput.Split('\n');

        Assert.Contains(lines, l => l.StartsWith("info: Microsoft.Hosting.Lifetime", StringComparison.Ordinal)); // the output was captured
        Assert.DoesNotContain(lines, l => l.StartsWith("warn:", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal)
            || l.StartsWith("crit:", StringComparison.Ordinal));
    }
}
