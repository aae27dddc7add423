using System.CommandLine;
using FaceOrleans.Silo;

var root = new RootCommand("FaceOrleans silo: hosts one inference slice and the tenants pinned to it")
{
    CalibrateCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
