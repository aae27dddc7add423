namespace FaceOrleans.GalleryBenchmark;

internal sealed record GalleryResult(
    int Faces, Latency Exact, Latency Compact, (int Synthetic, int Real) Queries, (int Synthetic, int Real) Top1Mismatches,
    (int Synthetic, int Real) TopKMismatches, double ExactBytesPerFace, double CompactHeapBytesPerFace, double CompactRssBytesPerFace,
    TimeSpan ExactLoad, TimeSpan SnapshotLoad, TimeSpan ColdLoad, double EnrollRate, (double Sqlite, double Vectors, double Snapshot) DiskPerFace);
