using System.Net;
using FaceOrleans.Grains.Hosting;

namespace FaceOrleans.Api.Hosting;

internal static class ApiPorts
{
    /// <summary>
    /// Refuses to start, before the embedded silo joins the cluster, when the HTTP port or the silo's ports are taken
    /// (see <see cref="PortOwnership"/>); after <c>Build</c>, so the test host, which listens on no port, never gets here.
    /// </summary>
    public static void EnsurePortsFree(this WebApplication app)
    {
        var configuration = app.Configuration;
        var api = ApiOptions.From(configuration);
        var http = (configuration[WebHostDefaults.ServerUrlsKey] ?? string.Empty)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(BindingAddress.Parse)
            .Select(url => (Address: ListenAddress(url.Host), url.Port, Setting: "--urls (Urls in appsettings.json)"));
        PortOwnership.EnsureFree(api.HostSilo ? http.Concat(PortOwnership.SiloPorts(configuration)) : http);
    }

    /// <summary>The address Kestrel binds for a URL's host: loopback for <c>localhost</c>, every address for a wildcard or a name.</summary>
    private static IPAddress ListenAddress(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
        : IPAddress.TryParse(host.Trim('[', ']'), out var address) ? address
        : IPAddress.Any;
}
