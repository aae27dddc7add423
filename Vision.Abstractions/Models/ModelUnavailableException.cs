namespace FaceOrleans.Vision;

/// <summary>
/// A model the service needs is missing, corrupt or misdescribed, or cannot run on the GPU its slice requires;
/// the service must not start.
/// </summary>
public sealed class ModelUnavailableException(string modelName, string message) : Exception(message)
{
    public string ModelName { get; } = modelName;
}
