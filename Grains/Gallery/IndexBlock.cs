using System.Runtime.InteropServices;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// Up to <see cref="GalleryIndex.BlockRows"/> rows, structure of arrays: the codes the scan streams through, the
/// three numbers per face it needs next to them, and what only the re-rank and bookkeeping read.
/// </summary>
internal sealed class IndexBlock(int capacity, int dimension)
{
    public sbyte[] Codes = new sbyte[capacity * dimension];
    public float[] Scale = new float[capacity];
    public float[] Error = new float[capacity];
    public float[] Norm = new float[capacity];
    public int[] Subject = new int[capacity];
    public int[] Slot = new int[capacity];
    public string[] FaceId = new string[capacity];

    public int Capacity => Scale.Length;

    public void Set(int offset, string faceId, int subject, int slot, float scale, float error, float norm)
    {
        FaceId[offset] = faceId;
        Subject[offset] = subject;
        Slot[offset] = slot;
        Scale[offset] = scale;
        Error[offset] = error;
        Norm[offset] = norm;
    }

    public void CopyFrom(int offset, IndexBlock source, int sourceOffset, int dimension)
    {
        source.Codes.AsSpan(sourceOffset * dimension, dimension).CopyTo(Codes.AsSpan(offset * dimension, dimension));
        Set(offset, source.FaceId[sourceOffset], source.Subject[sourceOffset], source.Slot[sourceOffset],
            source.Scale[sourceOffset], source.Error[sourceOffset], source.Norm[sourceOffset]);
    }

    public void Resize(int capacity, int dimension)
    {
        Array.Resize(ref Codes, capacity * dimension);
        Array.Resize(ref Scale, capacity);
        Array.Resize(ref Error, capacity);
        Array.Resize(ref Norm, capacity);
        Array.Resize(ref Subject, capacity);
        Array.Resize(ref Slot, capacity);
        Array.Resize(ref FaceId, capacity);
    }

    public ref sbyte FirstCode => ref MemoryMarshal.GetArrayDataReference(Codes);
}
