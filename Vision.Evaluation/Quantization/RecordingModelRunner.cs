namespace FaceOrleans.Vision.Evaluation;

/// <summary>
/// Runs model calls on the caller's thread like <see cref="InlineModelRunner"/>, and first shows every detector image
/// and recognizer face to an observer: calibration sees exactly the tensors the real pipeline makes (its resize,
/// detection sizes and five-point alignment), not a re-implementation of them.
/// </summary>
public sealed class RecordingModelRunner(Action<PreparedInput>? detectorInputs, Action<PreparedInput>? recognizerInputs) : IModelRunner
{
    public Task<TOutput[]> RunAsync<TInput, TOutput>(IBatchModel<TInput, TOutput> model, IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default)
    {
        foreach (var input in inputs)
        {
            switch (input)
            {
                case DetectorInput image:
                    detectorInputs?.Invoke(image.Tensor);
                    break;
                case PreparedInput face:
                    recognizerInputs?.Invoke(face);
                    break;
            }
        }

        return InlineModelRunner.Instance.RunAsync(model, inputs, cancellationToken);
    }
}
