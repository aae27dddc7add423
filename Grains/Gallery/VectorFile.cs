using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// The float32 embeddings of one shard on local disk, one fixed-size slot each, read back only for the
/// exact re-rank of a query's short list. Positional reads and writes (pread/pwrite) keep the file out of the
/// process's memory: the operating system's page cache holds what fits and drops it under pressure. The file
/// is opened exclusively, so two activations of one shard on a machine never write the same slots. It is a
/// cache: the gallery store stays the source of truth. A sealed file (<see cref="CreateSealed"/>) keeps each slot as
/// AES-GCM under a key that exists only in this object's memory, bound to the slot's number: nobody, this process
/// after a restart included, can read it back, so it is never reopened and is deleted when closed.
/// </summary>
public sealed class VectorFile : IDisposable
{
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    private readonly SafeFileHandle _handle;
    private readonly byte[]? _key;
    private readonly ConcurrentBag<AesGcm> _ciphers = [];

    private VectorFile(SafeFileHandle handle, string path, int dimension, byte[]? key = null)
    {
        _handle = handle;
        Path = path;
        Dimension = dimension;
        _key = key;
    }

    public string Path { get; }

    public int Dimension { get; }

    /// <summary>Whether slots are sealed under this object's own key.</summary>
    public bool IsSealed => _key is not null;

    private int VectorBytes => Dimension * sizeof(float);

    private long SlotBytes => VectorBytes + (IsSealed ? NonceBytes + TagBytes : 0);

    /// <summary>A new, empty file; <paramref name="deleteOnClose"/> for one nobody will reopen.</summary>
    public static VectorFile Create(string path, int dimension, bool deleteOnClose = false)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None,
            deleteOnClose ? FileOptions.DeleteOnClose : FileOptions.None);
        return new VectorFile(handle, path, dimension);
    }

    /// <summary>A sealed file in <paramref name="path"/> (a temporary one when null), deleted when closed.</summary>
    public static VectorFile CreateSealed(string? path, int dimension)
    {
        path ??= System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"faceorleans-vectors-{Guid.NewGuid():N}.f32");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
        return new VectorFile(handle, path, dimension, RandomNumberGenerator.GetBytes(32));
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

    public void Write(int slot, ReadOnlySpan<float> vector)
    {
        var plain = MemoryMarshal.AsBytes(vector[..Dimension]);
        if (!IsSealed)
        {
            RandomAccess.Write(_handle, plain, slot * SlotBytes);
            return;
        }

        var sealedSlot = ArrayPool<byte>.Shared.Rent((int)SlotBytes);
        try
        {
            var bytes = sealedSlot.AsSpan(0, (int)SlotBytes);
            RandomNumberGenerator.Fill(bytes[..NonceBytes]);
            var aes = Rent();
            try
            {
                aes.Encrypt(bytes[..NonceBytes], plain, bytes.Slice(NonceBytes, VectorBytes), bytes[^TagBytes..], SlotContext(slot));
            }
            finally
            {
                _ciphers.Add(aes);
            }

            RandomAccess.Write(_handle, bytes, slot * SlotBytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sealedSlot);
        }
    }

    /// <summary>Overwrites a slot with zeros: a removed face's embedding must not stay readable in a freed slot.</summary>
    public void Erase(int slot)
    {
        var zeros = new byte[SlotBytes];
        RandomAccess.Write(_handle, zeros, slot * SlotBytes);
    }

    public void Read(int slot, Span<float> vector)
    {
        if (!IsSealed)
        {
            ReadExactly(slot, MemoryMarshal.AsBytes(vector[..Dimension]));
            return;
        }

        var sealedSlot = ArrayPool<byte>.Shared.Rent((int)SlotBytes);
        try
        {
            var bytes = sealedSlot.AsSpan(0, (int)SlotBytes);
            ReadExactly(slot, bytes);
            var plain = MemoryMarshal.AsBytes(vector[..Dimension]);
            var aes = Rent();
            try
            {
                aes.Decrypt(bytes[..NonceBytes], bytes.Slice(NonceBytes, VectorBytes), bytes[^TagBytes..], plain, SlotContext(slot));
            }
            finally
            {
                _ciphers.Add(aes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sealedSlot);
        }
    }

    private void ReadExactly(int slot, Span<byte> bytes)
    {
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

    public void Dispose()
    {
        _handle.Dispose();
        while (_ciphers.TryTake(out var aes))
        {
            aes.Dispose();
        }
    }

    // AesGcm is not thread-safe and re-ranks read in parallel: each call borrows one and gives it back.
    private AesGcm Rent() => _ciphers.TryTake(out var pooled) ? pooled : new AesGcm(_key!, TagBytes);

    private static byte[] SlotContext(int slot)
    {
        var context = new byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(context, slot);
        return context;
    }
}
