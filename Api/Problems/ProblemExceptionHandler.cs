using FaceOrleans.Api.Security;
using FaceOrleans.Contracts;
using FaceOrleans.Vision;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace FaceOrleans.Api.Problems;

/// <summary>
/// Turns every exception into its RFC 7807 problem: a rejection becomes its code's problem
/// (<see cref="RejectionProblems"/>), the cluster's typed failures and the API's own become 4xx or 503 with a
/// stable type; only a genuine fault is a 500.
/// </summary>
public sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is SiloUnavailableException or OrleansMessageRejectionException
            && (httpContext.GetRouteValue("tenant") as string ?? httpContext.User.KeyTenant()) is { } tenant)
        {
            // A tenant's calls all go to its slice's silo (or standby); this one died while serving or being sent the call.
            exception = new SliceUnavailableException(tenant, "(lost during the call)", ApiProblems.DefaultRetryAfterSeconds,
                $"The silo serving tenant '{tenant}' went away during this call; retry in {ApiProblems.DefaultRetryAfterSeconds} s.");
        }

        var problem = exception is BadHttpRequestException bad ? FrameworkProblems.FromException(httpContext, bad) : Map(exception);
        if (problem.Status >= 500 && exception is not (SliceUnavailableException or SliceBusyException))
        {
            LogUnexpected(logger, exception, httpContext.Request.Path);
        }

        await ApiProblems.Write(httpContext, problem);
        return true;
    }

    public static ProblemDetails Map(Exception exception) => exception switch
    {
        ApiProblemException api => api.Problem,
        RequestRejectedException rejected => RejectionProblems.Create(rejected),
        SliceUnavailableException slice => ApiProblems.Create(StatusCodes.Status503ServiceUnavailable, "slice-unavailable", "Slice unavailable", slice.Message,
            new Dictionary<string, object?> { ["slice"] = slice.SliceId, [ApiProblems.RetryAfterExtension] = slice.RetryAfterSeconds }),
        SliceBusyException busy => ApiProblems.Create(StatusCodes.Status503ServiceUnavailable, "slice-busy", "Slice busy", busy.Message,
            new Dictionary<string, object?> { ["slice"] = busy.SliceId, [ApiProblems.RetryAfterExtension] = busy.RetryAfterSeconds }),
        GalleryStoreUnavailableException store => ApiProblems.Create(StatusCodes.Status503ServiceUnavailable, "gallery-unavailable",
            "Gallery store unavailable", store.Message, RetryAfterDefault),
        TenantNotServedException tenant => ApiProblems.Create(StatusCodes.Status404NotFound, "unknown-tenant", "Unknown tenant", tenant.Message),
        BadHttpRequestException bad => ApiProblems.Create(bad.StatusCode, "bad-request", "Bad request", bad.Message),
        InvalidDataException data when data.Message.Contains("limit", StringComparison.OrdinalIgnoreCase) => FrameworkProblems.UploadTooLarge(data.Message, null),
        InvalidDataException data => FrameworkProblems.MalformedForm(data.Message),
        SiloUnavailableException or OrleansMessageRejectionException => ApiProblems.Create(
            StatusCodes.Status503ServiceUnavailable, "cluster-unavailable", "Cluster unavailable", "The inference cluster cannot be reached; retry shortly.", RetryAfterDefault),
        TimeoutException => ApiProblems.Create(StatusCodes.Status504GatewayTimeout, "inference-timeout", "Inference timed out", "The slice did not answer in time; retry shortly."),
        OperationCanceledException => ApiProblems.Create(499, "client-closed-request", "Request cancelled", "The client went away before the answer was ready."),
        _ => ApiProblems.Create(StatusCodes.Status500InternalServerError, "internal-error", "Internal error", "An unexpected error occurred; it has been logged."),
    };

    private static Dictionary<string, object?> RetryAfterDefault => new() { [ApiProblems.RetryAfterExtension] = ApiProblems.DefaultRetryAfterSeconds };

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected error serving {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, PathString path);
}
