using FaceOrleans.Api.Hosting;
using FaceOrleans.Grains.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddFaceOrleansBackend();
builder.AddFaceOrleansApi();

var app = builder.Build();
app.UseFaceOrleansApi();
app.MapFaceOrleansApi();
try
{
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (StartupProblem.Find(ex) is { } problem)
{
    // The embedded silo cannot serve its slice (a missing model, a GPU it must have): say why in one line.
    await Console.Error.WriteLineAsync($"error: the API cannot start: {problem.Message}");
    return 1;
}

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
