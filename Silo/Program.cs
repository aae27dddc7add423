using System.CommandLine;
using FaceOrleans.Silo;

var root = new RootCommand("FaceOrleans silo: owns one inference slice and hosts the tenants pinned to it. " +
    "Configuration comes from appsettings.json, FaceOrleans__* environment variables and --FaceOrleans:Key=value arguments.")
{
    CalibrateCommand.Create(),
    ProviderCheckCommand.Create(),
    ModelLatencyCommand.Create(),
    QualityCommand.Create(),
    DetectModesCommand.Create(),
    ProbeCommand.Create(),
    EmbeddedHost.CreateCommand(args),
    Int8CalibrateCommand.Create(),
    Int8CheckCommand.Create(),
};
root.TreatUnmatchedTokensAsErrors = false;
root.SetAction((_, cancellationToken) => SiloHost.RunAsync(args, cancellationToken));
return await root.Parse(args).InvokeAsync();

/// <summary>
/// Internal on purpose: referencing the API (and ASP.NET Core) would otherwise make this entry point public beside the
/// API's own public <c>Program</c>, and a project that references both could not name the API's.
/// </summary>
internal sealed partial class Program;
