namespace FaceOrleans.GalleryBenchmark;

internal sealed record Latency(double P50, double P99);
