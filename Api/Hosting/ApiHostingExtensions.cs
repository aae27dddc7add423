using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using FaceOrleans.Api.Endpoints;
using FaceOrleans.Api.Observability;
using FaceOrleans.Api.Problems;
using FaceOrleans.Api.Quotas;
using FaceOrleans.Api.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Prometheus;
using Scalar.AspNetCore;

namespace FaceOrleans.Api.Hosting;

public static partial class ApiHostingExtensions
{
    public static WebApplicationBuilder AddFaceOrleansApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiOptions>().Bind(builder.Configuration.GetSection(ApiOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptions.Validation>();
        var api = ApiOptions.From(builder.Configuration);

        // Two images plus form overhead; each file is also checked against MaxUploadBytes and named when too big.
        var bodyLimit = (2 * api.MaxUploadBytes) + (64 * 1024);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = bodyLimit);
        services.Configure<FormOptions>(form =>
        {
            form.MultipartBodyLengthLimit = bodyLimit;
            form.MemoryBufferThreshold = (int)Math.Clamp(api.UploadMemoryBufferBytes ?? api.MaxUploadBytes, 0, int.MaxValue);
        });

        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            // A tenant's settings as the catalogue names them; its detection mode, as the catalogue spells it, in lower case.
            json.SerializerOptions.TypeInfoResolver = (json.SerializerOptions.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver())
                .WithAddedModifier(TenantSettingsJson.NameFromCatalogue);
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter<Vision.DetectionMode>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
        });
        // Binding failures (a JSON body that is not JSON, a form that is not multipart) become problems too.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            // What the framework refuses before an endpoint runs (no route, the wrong media type, a body over Kestrel's
            // limit before the endpoint reads it) gets its problem from the catalogue, not ASP.NET Core's generic one.
            if (context.ProblemDetails.Type?.StartsWith(ApiProblems.TypeBase, StringComparison.Ordinal) != true
                && context.ProblemDetails.Status is { } status && FrameworkProblems.FromStatus(context.HttpContext, status) is { } framework)
            {
                (context.ProblemDetails.Type, context.ProblemDetails.Title, context.ProblemDetails.Detail) = (framework.Type, framework.Title, framework.Detail);
                foreach (var (key, value) in framework.Extensions)
                {
                    context.ProblemDetails.Extensions[key] = value;
                }
            }

            context.ProblemDetails.Extensions["request_id"] = context.HttpContext.TraceIdentifier;
        });
        services.AddExceptionHandler<ProblemExceptionHandler>();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ApiKeyCache>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();

        services.AddTenantQuotas(api);

        services.AddSingleton<ApiMetrics>();
        ApiMetrics.PublishMeters();
        services.AddSingleton<ClusterReadinessCheck>();
        services.AddHealthChecks().AddCheck<ClusterReadinessCheck>("cluster", tags: ["ready"]);
        services.AddOpenApi(OpenApiContract.Configure);
        if (!string.IsNullOrWhiteSpace(api.TenantLogDirectory))
        {
            builder.Logging.AddProvider(new TenantFileLoggerProvider(Path.GetFullPath(api.TenantLogDirectory)));
        }

        if (api.NamedDemoTenants.Count > 0)
        {
            services.AddHostedService<DemoKeys>();
        }

        return builder;
    }

    public static WebApplication UseFaceOrleansApi(this WebApplication app)
    {
        // Outermost, so it records the status the client finally gets, problems included.
        app.Use((context, next) => ApiMetrics.RecordAsync(context, () => next(context)));
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // The console (/console/): plain files from wwwroot, no authentication; the page sends the key it is given.
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseRouting();
        // After routing, so a batch route's larger body limit applies; before the endpoint reads its form or JSON body.
        app.UseRequestBodyDeadline();
        app.UseAuthentication();
        app.UseAuthorization();
        app.Use(async (context, next) =>
        {
            var tenant = context.ActingTenant();
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("FaceOrleans.Api");
            using var scope = logger.BeginScope(new Dictionary<string, object?> { ["tenant"] = tenant, ["request_id"] = context.TraceIdentifier });
            await next(context);
            LogRequest(logger, context.Request.Method, context.Request.Path, context.Response.StatusCode);
        });
        app.UseTenantQuotas();
        app.UseRateLimiter();
        app.UseWholeBodyUploads();
        ApiMetrics.CollectSlicesOnScrape(app.Services.GetRequiredService<IClusterClient>());
        return app;
    }

    public static WebApplication MapFaceOrleansApi(this WebApplication app)
    {
        app.MapFaceEndpoints();
        app.MapTenantEndpoints();
        app.MapAdminEndpoints();
        app.MapGalleryEndpoints();
        app.MapBatchEndpoints();
        app.MapQuotaEndpoints();
        app.MapDataKeyEndpoints();
        app.MapCalibrationEndpoints();
        app.MapAuditEndpoints();
        app.MapTransferEndpoints();

        var health = app.MapGroup(string.Empty).WithTags("Health");
        health.MapGet("/health/live", () => TypedResults.Ok(new { status = "healthy" }))
            .WithSummary("The process answers.");
        health.MapGet("/health/ready", (HealthCheckService checks, CancellationToken cancellationToken) => Ready(checks, HealthStatus.Degraded, cancellationToken))
            .WithSummary("The cluster answers and at least one slice runs a real detection (200, 'degraded' while some slice is down); 503 otherwise.");
        health.MapGet("/health", (HealthCheckService checks, CancellationToken cancellationToken) => Ready(checks, HealthStatus.Degraded, cancellationToken))
            .WithSummary("The tutorial's probe and the Docker HEALTHCHECK: same as /health/ready.");
        health.MapGet("/health/slices", (HealthCheckService checks, CancellationToken cancellationToken) => Ready(checks, HealthStatus.Healthy, cancellationToken))
            .WithSummary("For monitoring, not for restarts: 503 while any slice seen so far is down.");
        app.MapMetrics("/metrics");
        app.MapOpenApi();
        app.MapScalarApiReference();
        app.MapGet("/", () => Results.Redirect("/scalar/v1")).ExcludeFromDescription();
        return app;
    }

    /// <summary>The tutorial's <c>{"status": "healthy"}</c>, plus each slice's probe; 503 when worse than <paramref name="passes"/>.</summary>
    private static async Task<IResult> Ready(HealthCheckService checks, HealthStatus passes, CancellationToken cancellationToken)
    {
        var report = await checks.CheckHealthAsync(c => c.Tags.Contains("ready"), cancellationToken);
        var body = new
        {
            status = report.Status switch
            {
                HealthStatus.Healthy => "healthy",
                HealthStatus.Degraded => "degraded",
                _ => "unhealthy",
            },
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString().ToLowerInvariant(), e.Value.Description, e.Value.Data }),
        };
        return TypedResults.Json(body, statusCode: report.Status < passes ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} answered {Status}")]
    private static partial void LogRequest(ILogger logger, string method, PathString path, int status);
}
