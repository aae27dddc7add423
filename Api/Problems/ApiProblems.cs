using Microsoft.AspNetCore.Mvc;

namespace FaceOrleans.Api.Problems;

/// <summary>RFC 7807 problems with a stable <c>type</c> per kind of error, so clients can switch on it.</summary>
public static class ApiProblems
{
    public const string TypeBase = "https://faceorleans.dev/problems/";

    /// <summary>
    /// The one source of the Retry-After header: a problem that tells the client to wait carries this extension, and
    /// <see cref="Write"/> copies it into the header, so the body and the header cannot disagree.
    /// </summary>
    public const string RetryAfterExtension = "retry_after_seconds";

    /// <summary>
    /// The wait for a 503 whose cause names none of its own (a silo lost under a call, the cluster or the gallery store
    /// unreachable): by then a dead silo has been detected, so a few seconds is enough. Placement's refusals
    /// (<c>FaceOrleans:Placement:RetryAfterSeconds</c>), a full slice queue and the quotas carry their own.
    /// </summary>
    public const int DefaultRetryAfterSeconds = 5;

    public static ProblemDetails Create(int status, string slug, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Type = TypeBase + slug, Title = title, Detail = detail };
        foreach (var (key, value) in extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[key] = value;
        }

        return problem;
    }

    public static IResult Result(int status, string slug, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(Create(status, slug, title, detail, extensions));

    public static async Task Write(HttpContext context, ProblemDetails problem)
    {
        context.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        if (problem.Extensions.TryGetValue(RetryAfterExtension, out var wait) && wait is int seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }
}
