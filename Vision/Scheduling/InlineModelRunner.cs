namespace FaceOrleans.Vision;

/// <summary>Runs the calls on the caller's thread: for the command line, benchmarks and tests of the pipeline alone.</summary>
public sealed class InlineModelRunner : IModelRunner
{
    public static readonly InlineModelRunner Instance = new();

    public Task<TOutput[]> RunAsync<TInput, TOutput>(IBatchModel<TInput, TOutput> model, IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(BatchRuns.RunGrouped(model, inputs));
    }
}
