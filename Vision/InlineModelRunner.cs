namespace FaceOrleans.Vision;

/// <summary>Runs the call on the caller's thread: for the command line, benchmarks and tests of the pipeline alone.</summary>
public sealed class InlineModelRunner : IModelRunner
{
    public static readonly InlineModelRunner Instance = new();

    public Task<T> RunAsync<T>(Func<T> modelCall, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(modelCall());
    }
}
