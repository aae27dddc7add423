using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;
using FaceOrleans.Benchmarks;

// BenchmarkDotNet runs every benchmark in a generated child process whose working directory and
// base directory lie under bin/, so resolve the repository's folders here, once, and hand them to
// the child through environment variables (child processes inherit the environment).
BenchmarkPaths.Export();

var config = DefaultConfig.Instance.AddDiagnoser(MemoryDiagnoser.Default);
BenchmarkSwitcher.FromAssembly(typeof(BenchmarkPaths).Assembly).Run(args, config);
