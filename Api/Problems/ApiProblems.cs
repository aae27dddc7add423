using Microsoft.AspNetCore.Mvc;

namespace FaceOrleans.Api.Problems;

/// <summary>RFC 7807 problems with a stable <c>type</c> per kind of error, so clients can switch on it.</summary>
public static class ApiProblems
{
    public const string TypeBase = "https://faceorleans.dev/problems/";

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
        await context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }
}
