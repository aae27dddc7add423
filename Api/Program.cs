using FaceOrleans.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddFaceOrleansBackend();
builder.AddFaceOrleansApi();

var app = builder.Build();
app.UseFaceOrleansApi();
app.MapFaceOrleansApi();
await app.RunAsync();

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
