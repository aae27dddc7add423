namespace FaceOrleans.Grains.Protection;

/// <summary>The master key is missing, malformed, or not the one that wrapped the stored data keys: start-up stops (StartupProblem).</summary>
public sealed class MasterKeyException(string message, Exception? inner = null) : Exception(message, inner);
