using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace FaceOrleans.Contracts.Hosting;

/// <summary>A port this process must listen on is already taken; the message names the port and the setting that moves it.</summary>
public sealed class PortInUseException : Exception
{
    public PortInUseException()
    {
    }

    public PortInUseException(string message)
        : base(message)
    {
    }

    public PortInUseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PortInUseException(int port, string setting, Exception innerException)
        : base($"port {port} is already in use (another FaceOrleans instance?); choose another with {setting}", innerException)
    {
        Port = port;
        Setting = setting;
    }

    public int Port { get; }

    public string? Setting { get; }
}

/// <summary>
/// Checks, before a host starts, that the ports it will listen on are free. Orleans binds its silo and gateway
/// listeners with <c>SocketOptionName.ReuseAddress</c>, which .NET on Linux turns into SO_REUSEPORT as well, so a
/// second instance would bind the same ports and run on beside the first, each taking half the connections; and
/// Kestrel only fails after the silo has joined the cluster. A probe bound with SO_REUSEADDR alone (a port in
/// TIME_WAIT after a restart is free) fails on any listener, whatever options that listener used.
/// </summary>
public static class PortOwnership
{
    // Linux's SOL_SOCKET and SO_REUSEADDR: .NET's ReuseAddress option would set SO_REUSEPORT too and share the port.
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;

    /// <summary>The silo-to-silo and gateway ports a silo hosted with this configuration listens on.</summary>
    public static IEnumerable<(IPAddress Address, int Port, string Setting)> SiloPorts(IConfiguration configuration)
    {
        var cluster = configuration.GetSection(FaceOrleansClusterOptions.Section).Get<FaceOrleansClusterOptions>() ?? new();
        yield return (IPAddress.Any, cluster.SiloPort, $"--{FaceOrleansClusterOptions.Section}:SiloPort");
        yield return (IPAddress.Any, cluster.GatewayPort, $"--{FaceOrleansClusterOptions.Section}:GatewayPort");
    }

    /// <summary>Throws <see cref="PortInUseException"/> for the first port something already listens on.</summary>
    public static void EnsureFree(IEnumerable<(IPAddress Address, int Port, string Setting)> ports)
    {
        foreach (var (address, port, setting) in ports.Where(p => p.Port > 0))
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (OperatingSystem.IsLinux())
            {
                probe.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            }

            try
            {
                probe.Bind(new IPEndPoint(address, port));
                probe.Listen(1);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
            {
                throw new PortInUseException(port, setting, ex);
            }
        }
    }
}
