namespace FaceOrleans.Vision;

/// <summary>
/// Decides where and when a model call runs. The contract every runner keeps: a call whose token is cancelled
/// before the call starts never runs and its task is cancelled; a call that has started runs to its end (ONNX
/// Runtime cannot stop mid-run) and its result is returned even if the token is cancelled meanwhile.
/// </summary>
public interface IModelRunner
{
    Task<T> RunAsync<T>(Func<T> modelCall, CancellationToken cancellationToken = default);
}
