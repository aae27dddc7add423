using System.Diagnostics;
using StackExchange.Redis;

namespace FaceOrleans.Tests.Cluster;

/// <summary>A real redis-server on a free loopback port, started for a test and stopped after it.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly string[] Locations = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"];

    private readonly Process _process;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>
    /// The connection string for a store the test opens in its own process. The test host runs the suite in parallel
    /// with real inference on two cores, where its thread pool can answer a Redis reply later than the client's
    /// default 5 s timeout (a fresh-clone run of .ci/run saw one UNWATCH time out so): these tests check what is stored, not how fast.
    /// </summary>
    public string StoreConnectionString => $"{ConnectionString},syncTimeout=30000,asyncTimeout=30000";

    /// <param name="persistTo">A folder for an append-only file (every write synced) and the dump a SAVE writes; none by default.</param>
    public static async Task<RedisServer> StartAsync(string? persistTo = null)
    {
        var executable = Locations.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed: run ./scripts/setup.sh (or sudo apt-get install redis-server).");
        var port = RealHosts.FreePort();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] arguments = ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "",
            .. persistTo is null ? (string[])["--appendonly", "no"] : ["--dir", persistTo, "--appendonly", "yes", "--appendfsync", "always"]];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisServer(process, port);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync($"{server.ConnectionString},connectTimeout=500");
                await connection.GetDatabase().PingAsync();
                return server;
            }
            catch (RedisConnectionException)
            {
                await Task.Delay(100);
            }
        }

        await server.DisposeAsync();
        throw new InvalidOperationException($"redis-server did not answer on port {port}.");
    }

    public async Task<IReadOnlyList<string>> KeysAsync()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(ConnectionString);
        return connection.GetServer(ConnectionString).Keys().Select(k => k.ToString()).ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
