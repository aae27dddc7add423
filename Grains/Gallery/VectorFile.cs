using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// The float32 embeddings of one shard on local disk, one fixed-size slot each, read back only for the
/// exact re-rank of a query's short list. Positional reads and writes (pread/pwrite) keep the file out of the
/// process's memory: the operating system's page cache holds what fits and drops it under pressure. The file
/// is opened exclusively, so two activations of one shard on a machine never write the same slots. It is a
/// cache: the gallery store stays the source of truth.
/// </summary>
public sealed class VectorFile : IDisposable
{
    private readonly SafeFileHandle _handle;

    private VectorFile(SafeFileHandle handle, string path, int dimension)
    {
        _handle = handle;
        Path = path;
        Dimension = dimension;
    }

    public string Path { get; }

    public int Dimension { get; }

    private long SlotBytes => Dimension * (long)sizeof(float);

    /// <summary>A new, empty file; <paramref name="deleteOnClose"/> for one nobody will reopen.</summary>
    public static VectorFile Create(string path, int dimension, bool deleteOnClose = false)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None,
            deleteOnClose ? FileOptions.DeleteOnClose : FileOptions.None);
        return new VectorFile(handle, path, dimension);
    }

    /// <summary>A file nobody else will ever open: deleted when closed.</summary>
    public static VectorFile CreateTemporary(int dimension) =>
        Create(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"faceorleans-vectors-{Guid.NewGuid():N}.f32"), dimension, deleteOnClose: true);

    /// <summary>An existing file, or null when it is missing, too short for <paramref name="slots"/>, or held by another activation.</summary>
    public static VectorFile? TryOpen(string path, int dimension, int slots)
    {
        try
        {
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            if (RandomAccess.GetLength(handle) < slots * (long)dimension * sizeof(float))
            {
                handle.Dispose();
                return null;
            }

            return new VectorFile(handle, path, dimension);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write(int slot, ReadOnlySpan<float> vector) =>
        RandomAccess.Write(_handle, MemoryMarshal.AsBytes(vector[..Dimension]), slot * SlotBytes);

    /// <summary>Overwrites a slot with zeros: a removed face's embedding must not stay readable in a freed slot.</summary>
    public void Erase(int slot)
    {
        var zeros = new byte[SlotBytes];
        RandomAccess.Write(_handle, zeros, slot * SlotBytes);
    }

    public void Read(int slot, Span<float> vector)
    {
        var bytes = MemoryMarshal.AsBytes(vector[..Dimension]);
        var offset = slot * SlotBytes;
        while (!bytes.IsEmpty)
        {
            var read = RandomAccess.Read(_handle, bytes, offset);
            if (read == 0)
            {
                throw new InvalidDataException($"{Path} ends before slot {slot}.");
            }

            bytes = bytes[read..];
            offset += read;
        }
    }

    /// <summary>Makes every written slot durable: a snapshot may only name slots that survive a power cut.</summary>
    public void Flush() => RandomAccess.FlushToDisk(_handle);

    public void Dispose() => _handle.Dispose();
}
