namespace FaceOrleans.Contracts;

/// <summary>
/// Marks a grain method that may run twice for one request without harm: it changes nothing, or what it changes is
/// keyed by the request itself (an enrollment's face id). An API client resends such a call when a gateway dies
/// while the call is in flight, since the call or its answer may have been lost with it.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class IdempotentAttribute : Attribute;
