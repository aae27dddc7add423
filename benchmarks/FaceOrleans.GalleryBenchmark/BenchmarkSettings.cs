namespace FaceOrleans.GalleryBenchmark;

internal sealed record BenchmarkSettings(int Shards, int SyntheticQueries, string Folder);
