namespace FaceOrleans.Vision;

/// <summary>
/// Decides where and when model calls run. The contract every runner keeps: inputs of one shape may share a model
/// call with other callers' inputs, and each caller gets exactly the outputs a call of its own would give; an input
/// whose token is cancelled before its call starts never runs and the caller's task is cancelled; a call that has
/// started runs to its end (ONNX Runtime cannot stop mid-run).
/// </summary>
public interface IModelRunner
{
    Task<TOutput[]> RunAsync<TInput, TOutput>(IBatchModel<TInput, TOutput> model, IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default);
}
