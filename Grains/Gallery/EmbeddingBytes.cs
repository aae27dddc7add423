namespace FaceOrleans.Grains.Gallery;

/// <summary>An embedding as the stores keep it: its float32 values, little-endian, as raw bytes.</summary>
internal static class EmbeddingBytes
{
    public static byte[] ToBytes(float[] embedding) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(embedding.AsSpan()).ToArray();

    public static float[] FromBytes(ReadOnlySpan<byte> bytes) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
}
