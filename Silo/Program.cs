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
    Int8CalibrateCommand.Create(),
    Int8CheckCommand.Create(),
};
root.TreatUnmatchedTokensAsErrors = false;
root.SetAction((_, cancellationToken) => SiloHost.RunAsync(args, cancellationToken));
return await root.Parse(args).InvokeAsync();
