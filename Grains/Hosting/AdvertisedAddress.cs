using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using FaceOrleans.Contracts.Hosting;

namespace FaceOrleans.Grains.Hosting;

/// <summary>
/// The address a silo advertises to the cluster (<c>FaceOrleans:Cluster:AdvertisedAddress</c>): an IP address as it
/// is; a host name resolved at start (a compose service or container name), IPv4 preferred because the cluster's other
/// members and clients may have no IPv6 route; <c>auto</c> (or blank) for this machine's own address, what a container
/// needs when nothing outside it knows its IP in advance.
/// </summary>
public static class AdvertisedAddress
{
    public const string Auto = "auto";

    public static IPAddress Resolve(string? setting)
    {
        var value = setting?.Trim();
        if (string.IsNullOrEmpty(value) || string.Equals(value, Auto, StringComparison.OrdinalIgnoreCase))
        {
            return OwnAddress();
        }

        if (IPAddress.TryParse(value, out var literal))
        {
            return literal;
        }

        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(value);
        }
        catch (SocketException ex)
        {
            throw Invalid($"'{value}' does not resolve ({ex.SocketErrorCode})", ex);
        }

        return Preferred(addresses) ?? throw Invalid($"'{value}' resolves to no address", null);
    }

    /// <summary>A non-loopback address of this machine: its host name's first, else its first interface that is up.</summary>
    private static IPAddress OwnAddress()
    {
        IPAddress[] named;
        try
        {
            named = Dns.GetHostAddresses(Dns.GetHostName());
        }
        catch (SocketException)
        {
            named = [];
        }

        var fromInterfaces = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(u => u.Address));
        return Preferred(named.Where(a => !IPAddress.IsLoopback(a)))
            ?? Preferred(fromInterfaces.Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal))
            ?? throw Invalid($"'{Auto}' found no address of this machine other than loopback", null);
    }

    private static IPAddress? Preferred(IEnumerable<IPAddress> addresses)
    {
        var all = addresses.ToArray();
        return all.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? all.FirstOrDefault();
    }

    private static Microsoft.Extensions.Options.OptionsValidationException Invalid(string why, Exception? inner) =>
        new(FaceOrleansClusterOptions.Section, typeof(FaceOrleansClusterOptions),
            [$"{FaceOrleansClusterOptions.Section}:{nameof(FaceOrleansClusterOptions.AdvertisedAddress)}: {why}; give an IP address, a host name that resolves, or '{Auto}'" + (inner is null ? string.Empty : $" ({inner.Message})")]);
}
