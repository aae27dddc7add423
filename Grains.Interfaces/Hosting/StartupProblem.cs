using FaceOrleans.Vision;
using Microsoft.Extensions.Options;

namespace FaceOrleans.Contracts.Hosting;

/// <summary>The reasons a process hosting a slice refuses to start, so its entry point can say why in one line.</summary>
public static class StartupProblem
{
    /// <summary>The missing or unusable model, the invalid setting, or the wrong or missing master key behind a start-up failure; null for anything else.</summary>
    public static Exception? Find(Exception ex)
    {
        for (Exception? current = ex; current is not null; current = current.InnerException)
        {
            if (current is ModelUnavailableException or OptionsValidationException or PortInUseException or MasterKeyException)
            {
                return current;
            }
        }

        return ex is AggregateException aggregate ? aggregate.InnerExceptions.Select(Find).FirstOrDefault(e => e is not null) : null;
    }
}
