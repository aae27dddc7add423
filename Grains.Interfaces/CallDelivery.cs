using Orleans.Runtime.Messaging;

namespace FaceOrleans.Contracts;

/// <summary>
/// Which failures of a grain call prove that the call never reached its grain, so that sending it again cannot run
/// it twice: a rejection of the message itself (Orleans answers a message it could not deliver, from the client or
/// from the gateway or silo on the way, with a plain <see cref="OrleansMessageRejectionException"/>), a connection
/// to a gateway that could not be opened, and a gateway refusing work. <see cref="SiloUnavailableException"/>, though
/// a rejection type, is not among them: Orleans also raises it for a call in flight to a silo that died, which may
/// have run. A grain that fails with one of these itself (a call of its own was rejected) must not let it escape as
/// is, or its caller could not tell the two apart; silos convert such failures at the grain's boundary.
/// </summary>
public static class CallDelivery
{
    public static bool ProvesNotDelivered(Exception exception) =>
        exception.GetType() == typeof(OrleansMessageRejectionException) || exception is ConnectionFailedException or GatewayTooBusyException;
}
