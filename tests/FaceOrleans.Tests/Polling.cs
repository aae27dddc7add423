namespace FaceOrleans.Tests;

/// <summary>Reads a value until it satisfies a condition: for state that changes in the background (membership, queues).</summary>
internal static class Polling
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan within, TimeSpan? every = null)
    {
        var interval = every ?? TimeSpan.FromMilliseconds(50);
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"the condition never held within {within.TotalSeconds:0} s; last value: {value}");
            }

            await Task.Delay(interval);
        }
    }
}
