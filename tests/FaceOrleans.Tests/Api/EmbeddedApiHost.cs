using FaceOrleans.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;

namespace FaceOrleans.Tests.Api;

/// <summary>
/// The embedded default (<c>FaceOrleans.Silo embedded</c>: the API with its silo in one process) on the ASP.NET test
/// host, built by the silo's own <see cref="EmbeddedHost"/>. WebApplicationFactory cannot start it: it runs an
/// assembly's entry point, and the silo's entry point starts the embedded host only under its <c>embedded</c> command.
/// Settings are given as that command's arguments, as WebApplicationFactory gives its own, over the appsettings.json
/// of this output folder (the silo's), in the Development environment it uses too.
/// </summary>
public sealed class EmbeddedApiHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EmbeddedApiHost(WebApplication app) => _app = app;

    public IServiceProvider Services => _app.Services;

    public static async Task<EmbeddedApiHost> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var builder = EmbeddedHost.CreateBuilder(
            [$"--{HostDefaults.EnvironmentKey}=Development", .. settings.Select(s => $"--{s.Key}={s.Value}")]);
        builder.WebHost.UseTestServer();
        var app = EmbeddedHost.Build(builder);
        try
        {
            await app.StartAsync();
            return new EmbeddedApiHost(app);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client that follows redirects and keeps cookies, as WebApplicationFactory's <c>CreateClient</c>.</summary>
    public HttpClient CreateClient() => CreateDefaultClient(new RedirectHandler(), new CookieContainerHandler());

    /// <summary>A client whose requests pass through <paramref name="handlers"/>, first to last, then reach the test server.</summary>
    public HttpClient CreateDefaultClient(params DelegatingHandler[] handlers)
    {
        var inner = _app.GetTestServer().CreateHandler();
        foreach (var handler in handlers.Reverse())
        {
            handler.InnerHandler = inner;
            inner = handler;
        }

        return new HttpClient(inner) { BaseAddress = new Uri("http://localhost") };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
