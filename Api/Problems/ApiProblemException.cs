using Microsoft.AspNetCore.Mvc;

namespace FaceOrleans.Api.Problems;

/// <summary>
/// A problem only the HTTP layer can see (no body, an upload over the size limit, no tenant for the route); the
/// exception handler writes its problem as is. Mistakes in a request's content are rejections instead
/// (<see cref="RejectionProblems"/>).
/// </summary>
public sealed class ApiProblemException : Exception
{
    public ApiProblemException()
    {
    }

    public ApiProblemException(string message)
        : base(message)
    {
    }

    public ApiProblemException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ApiProblemException(int status, string slug, string title, string detail, IDictionary<string, object?>? extensions = null)
        : base(detail)
    {
        Problem = ApiProblems.Create(status, slug, title, detail, extensions);
    }

    /// <summary>A problem made by its catalogue entry (<see cref="FrameworkProblems"/>), thrown where it is found.</summary>
    public ApiProblemException(ProblemDetails problem)
        : base(problem.Detail)
    {
        Problem = problem;
    }

    public ProblemDetails Problem { get; } = ApiProblems.Create(StatusCodes.Status400BadRequest, "bad-request", "Bad request", "The request is invalid.");
}
