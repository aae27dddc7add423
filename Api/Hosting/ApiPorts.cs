using System.Net;
using FaceOrleans.Contracts.Hosting;

namespace FaceOrleans.Api.Hosting;

public static class ApiPorts
{
    /// <summary>
    /// Refuses to start when the HTTP port, or one of <paramref name="alsoPorts"/> (the embedded silo's, before it joins
    /// the cluster), is taken (see <see cref="PortOwnership"/>); after <c>Build</c>, so the test host, which listens on no
    /// port, never gets here.
    /// </summary>
    public static void EnsurePortsFree(this WebApplication app, IEnumerable<(IPAddress Address, int Port, string Setting)>? alsoPorts = null)
    {
        var http = (app.Configuration[WebHostDefaults.ServerUrlsKey] ?? string.Empty)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(BindingAddress.Parse)
            .Select(url => (Address: ListenAddress(url.Host), url.Port, Setting: "--urls (Urls in appsettings.json)"));
        PortOwnership.EnsureFree(http.Concat(alsoPorts ?? []));
    }

    /// <summary>The address Kestrel binds for a URL's host: loopback for <c>localhost</c>, every address for a wildcard or a name.</summary>
    private static IPAddress ListenAddress(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
        : IPAddress.TryParse(host.Trim('[', ']'), out var address) ? address
        : IPAddress.Any;
}
