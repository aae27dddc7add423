using FaceOrleans.Vision;

namespace FaceOrleans.Tests;

/// <summary>Asserts that a call is refused with a <see cref="RequestRejectedException"/> of the given code.</summary>
internal static class Rejections
{
    public static async Task<RequestRejectedException> ThrowsAsync(RejectionCode code, Func<Task> call)
    {
        var rejection = await Assert.ThrowsAsync<RequestRejectedException>(call);
        Assert.Equal(code, rejection.Code);
        return rejection;
    }
}
