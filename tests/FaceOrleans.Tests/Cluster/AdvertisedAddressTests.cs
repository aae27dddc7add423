using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using FaceOrleans.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Tests.Cluster;

/// <summary>
/// What a silo advertises for <c>FaceOrleans:Cluster:AdvertisedAddress</c>, resolved by this machine's real resolver:
/// a compose file names its silos by host name, which used to stop every silo with a FormatException.
/// </summary>
public sealed class AdvertisedAddressTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("::1")]
    public void An_ip_address_is_taken_as_it_is(string address) =>
        Assert.Equal(IPAddress.Parse(address), AdvertisedAddress.Resolve(address));

    [Fact]
    public void A_host_name_is_resolved_and_ipv4_is_preferred() =>
        // localhost resolves to ::1 as well as 127.0.0.1 on most machines; other members may have no IPv6 route.
        Assert.Equal(IPAddress.Loopback, AdvertisedAddress.Resolve("localhost"));

    [Fact]
    public void This_machines_own_name_resolves_to_one_of_its_addresses()
    {
        var resolved = AdvertisedAddress.Resolve(Dns.GetHostName());

        Assert.Contains(resolved, Dns.GetHostAddresses(Dns.GetHostName()));
        Assert.Equal(AddressFamily.InterNetwork, resolved.AddressFamily);
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("AUTO")]
    [InlineData("")]
    [InlineData(null)]
    public void Auto_or_blank_is_this_machines_own_non_loopback_address(string? setting)
    {
        var resolved = AdvertisedAddress.Resolve(setting);

        Assert.False(IPAddress.IsLoopback(resolved));
        var own = NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address);
        Assert.Contains(resolved, own);
    }

    [Fact]
    public void A_name_that_does_not_resolve_stops_the_silo_naming_the_setting()
    {
        // .invalid never resolves (RFC 6761); the options exception is what StartupProblem turns into one line.
        var error = Assert.Throws<OptionsValidationException>(() => AdvertisedAddress.Resolve("no-such-silo.invalid"));

        Assert.Contains("FaceOrleans:Cluster:AdvertisedAddress", error.Message, StringComparison.Ordinal);
        Assert.Contains("'no-such-silo.invalid' does not resolve", error.Message, StringComparison.Ordinal);
    }
}
