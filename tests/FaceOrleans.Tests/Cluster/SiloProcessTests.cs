using System.Globalization;
using System.Net.Sockets;
using FaceOrleans.Contracts;

namespace FaceOrleans.Tests.Cluster;

/// <summary>
/// The silo executable as README's three-slice example starts it: <c>dotnet Silo/bin/…/FaceOrleans.Silo.dll</c>
/// from another folder, with list settings on the command line and in the environment.
/// </summary>
public sealed class SiloProcessTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("faceorleans-silo-process-");
    private readonly string _clusterId = "silo-process-" + Guid.NewGuid().ToString("N")[..8];
    private readonly int _gatewayPort = RealHosts.FreePort();

    [Fact]
    public async Task Started_from_another_folder_the_silo_reads_its_own_appsettings_and_takes_comma_separated_lists_whole()
    {
        await using var silo = Start(["--FaceOrleans:Slice:Tenants=kiosk"], new Dictionary<string, string> { ["FaceOrleans__Slice__StandbyFor"] = "attendance, access" });

        var slice = await AdvertisedSliceAsync(silo);
        var output = await silo.StopAsync();

        // The file's two tenants are replaced by the command line's one; the environment's list is taken whole.
        Assert.Equal(["kiosk"], slice.Tenants);
        Assert.Equal(["access", "attendance"], slice.StandbyFor);
        // Silo/appsettings.json puts Orleans at Warning: none of the ~30 info lines Orleans writes at start-up,
        // while the silo's own info lines (models loaded) show that the output was captured.
        Assert.Contains("info: FaceOrleans.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("info: Orleans", output, StringComparison.Ordinal);
        // A healthy start and stop log no warning or error (Orleans' watchdog used to report the machine's uptime).
        Assert.DoesNotContain(output.Split('\n'), l => l.StartsWith("warn:", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal)
            || l.StartsWith("crit:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_blank_list_entry_on_the_command_line_drops_that_entry_of_the_files_list()
    {
        // Only Silo/appsettings.json names attendance and access; this used to refuse to start (a blank tenant id).
        await using var silo = Start(["--FaceOrleans:Slice:Tenants:1="]);

        var slice = await AdvertisedSliceAsync(silo);

        Assert.Equal(["attendance"], slice.Tenants);
        Assert.Empty(slice.StandbyFor);
    }

    public void Dispose() => _folder.Delete(recursive: true);

    private ServerProcess Start(string[] arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        ServerProcess.Start(TestPaths.SiloAssembly,
        [
            $"--FaceOrleans:Cluster:ClusterId={_clusterId}",
            "--FaceOrleans:Cluster:ServiceId=faceorleans-tests",
            $"--FaceOrleans:Cluster:SiloPort={RealHosts.FreePort().ToString(CultureInfo.InvariantCulture)}",
            $"--FaceOrleans:Cluster:GatewayPort={_gatewayPort.ToString(CultureInfo.InvariantCulture)}",
            $"--FaceOrleans:Cluster:StoragePath={Path.Combine(_folder.FullName, "state.db")}",
            $"--FaceOrleans:Models:Directory={TestPaths.ModelsDirectory}",
            "--FaceOrleans:Slice:IntraOpThreads=1",
            .. arguments,
        ], workingDirectory: _folder.FullName, environment);

    /// <summary>The slice the silo advertises to the cluster, asked through a real Orleans client at its gateway.</summary>
    private async Task<SliceInfo> AdvertisedSliceAsync(ServerProcess silo)
    {
        await silo.WaitForAsync(async () =>
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync("127.0.0.1", _gatewayPort);
                return probe;
            }
            catch (SocketException)
            {
                return null;
            }
        }, TimeSpan.FromMinutes(3), "the silo never opened its gateway");

        try
        {
            var client = await RealHosts.StartClientAsync(_clusterId, c => c.UseLocalhostClustering(_gatewayPort, "faceorleans-tests", _clusterId));
            try
            {
                var slices = await silo.WaitForAsync(async () => await client.Client().GetGrain<ISliceCatalogGrain>(0).GetSlices() is { Count: > 0 } live ? live : null,
                    TimeSpan.FromMinutes(1), "the silo never advertised its slice");
                return Assert.Single(slices);
            }
            finally
            {
                await RealHosts.StopAllAsync(client);
            }
        }
        catch (OrleansException ex)
        {
            throw new Xunit.Sdk.XunitException($"the silo did not answer ({ex.Message}). Its output:\n{silo.Output}");
        }
    }
}
