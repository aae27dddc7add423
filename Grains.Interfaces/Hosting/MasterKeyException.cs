namespace FaceOrleans.Contracts.Hosting;

/// <summary>
/// The master key is missing, malformed, or not the one that wrapped the stored data keys: start-up stops. Beside
/// <see cref="StartupProblem"/>, which both hosts use to say why in one line.
/// </summary>
public sealed class MasterKeyException(string message, Exception? inner = null) : Exception(message, inner);
