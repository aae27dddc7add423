using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// A shard's index on local disk, so a restart reads it back in bulk instead of re-reading and re-quantising
/// every float32 record from the store. Layout: a header (tenant, shard, the recognizer's model key, dimension, counts, the vector file's
/// name), the subject ids, the free vector slots, then per block the codes, scales, errors, norms, subject
/// ordinals and slots as raw little-endian arrays and the face ids, and last an XxHash64 of all of it. It is
/// written to a temporary file, flushed and renamed over the old one, after the vector file is flushed:
/// a snapshot that reads back whole names only slots that are on disk. The store stays the source of truth:
/// a loaded snapshot is reconciled with the store's face ids before use (<see cref="GalleryShardLoader"/>).
/// </summary>
public sealed partial class GalleryIndex
{
    public const string SnapshotFileName = "index.snapshot";
    // "FOGIDX02": version 2 records the model; a version 1 snapshot reads as none, and the shard loads from the store.
    private const ulong Magic = 0x3230_5844_4947_4F46;

    /// <summary>Writes the snapshot of this index into <paramref name="directory"/>; an empty index removes it instead.</summary>
    public void WriteSnapshot(string directory, string tenant, int shard)
    {
        var path = Path.Combine(directory, SnapshotFileName);
        if (Count == 0 || _vectors is null)
        {
            File.Delete(path);
            return;
        }

        _vectors.Flush();
        var temporary = Path.Combine(directory, $"{SnapshotFileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                var hashing = new HashingStream(file);
                using (var writer = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
                {
                    WriteBody(writer, tenant, shard);
                }

                file.Write(BitConverter.GetBytes(hashing.Hash));
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// The index saved in <paramref name="directory"/> with its vector file, or null when there is none, it
    /// belongs to another shard, fails its checksum, or its vector file is missing or held by another activation.
    /// </summary>
    public static GalleryIndex? TryReadSnapshot(string directory, string tenant, int shard, Func<int, VectorFile>? createVectors = null)
    {
        var path = Path.Combine(directory, SnapshotFileName);
        if (!File.Exists(path))
        {
            return null;
        }

        var index = new GalleryIndex(createVectors);
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            var hashing = new HashingStream(file);
            using var reader = new BinaryReader(hashing, Encoding.UTF8, leaveOpen: true);
            if (!index.ReadBody(reader, directory, tenant, shard))
            {
                index.Dispose();
                return null;
            }

            Span<byte> stored = stackalloc byte[sizeof(ulong)];
            file.ReadExactly(stored);
            if (BitConverter.ToUInt64(stored) != hashing.Hash || file.Position != file.Length)
            {
                index.Dispose();
                return null;
            }

            return index;
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or IOException or ArgumentException or OverflowException)
        {
            index.Dispose();
            return null;
        }
    }

    private void WriteBody(BinaryWriter writer, string tenant, int shard)
    {
        writer.Write(Magic);
        writer.Write(tenant);
        writer.Write(shard);
        writer.Write(Model?.Key ?? string.Empty);
        writer.Write(Dimension);
        writer.Write(Count);
        writer.Write(_slotCount);
        writer.Write(Path.GetFileName(_vectors!.Path));
        writer.Write(_subjects.Count);
        foreach (var subject in _subjects)
        {
            writer.Write(subject);
        }

        writer.Write(_freeSlots.Count);
        WriteArray(writer, _freeSlots.ToArray().AsSpan());
        for (var b = 0; b < _blocks.Count; b++)
        {
            var block = _blocks[b];
            var rows = Math.Min(BlockRows, Count - (b << BlockShift));
            WriteArray(writer, block.Codes.AsSpan(0, rows * Dimension));
            WriteArray(writer, block.Scale.AsSpan(0, rows));
            WriteArray(writer, block.Error.AsSpan(0, rows));
            WriteArray(writer, block.Norm.AsSpan(0, rows));
            WriteArray(writer, block.Subject.AsSpan(0, rows));
            WriteArray(writer, block.Slot.AsSpan(0, rows));
            foreach (var faceId in block.FaceId.AsSpan(0, rows))
            {
                writer.Write(faceId);
            }
        }
    }

    private bool ReadBody(BinaryReader reader, string directory, string tenant, int shard)
    {
        if (reader.ReadUInt64() != Magic || reader.ReadString() != tenant || reader.ReadInt32() != shard)
        {
            return false;
        }

        Model = reader.ReadString() is { Length: > 0 } key ? EmbeddingModel.ParseKey(key) : null;
        Dimension = reader.ReadInt32();
        var count = reader.ReadInt32();
        _slotCount = reader.ReadInt32();
        var vectorFile = Path.Combine(directory, Path.GetFileName(reader.ReadString()));
        if (Dimension <= 0 || count <= 0 || _slotCount < count)
        {
            return false;
        }

        var subjects = reader.ReadInt32();
        for (var i = 0; i < subjects; i++)
        {
            var subject = reader.ReadString();
            _ordinalOfSubject[subject] = i;
            _subjects.Add(subject);
        }

        var free = new int[reader.ReadInt32()];
        ReadArray(reader, free.AsSpan());
        foreach (var slot in free.Reverse())
        {
            _freeSlots.Push(slot);
        }

        for (var first = 0; first < count; first += BlockRows)
        {
            var rows = Math.Min(BlockRows, count - first);
            var block = new IndexBlock(rows, Dimension);
            ReadArray(reader, block.Codes.AsSpan());
            ReadArray(reader, block.Scale.AsSpan());
            ReadArray(reader, block.Error.AsSpan());
            ReadArray(reader, block.Norm.AsSpan());
            ReadArray(reader, block.Subject.AsSpan());
            ReadArray(reader, block.Slot.AsSpan());
            for (var r = 0; r < rows; r++)
            {
                var faceId = reader.ReadString();
                block.FaceId[r] = faceId;
                _rowOfFace[faceId] = first + r;
            }

            _blocks.Add(block);
        }

        Count = count;
        _vectors = VectorFile.TryOpen(vectorFile, Dimension, _slotCount);
        return _vectors is not null && _rowOfFace.Count == count;
    }

    private static void WriteArray<T>(BinaryWriter writer, Span<T> values)
        where T : struct => writer.Write(MemoryMarshal.AsBytes(values));

    private static void ReadArray<T>(BinaryReader reader, Span<T> values)
        where T : struct => reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(values));

    /// <summary>Passes bytes through, hashing them on the way (XxHash64), so a torn or altered snapshot is refused.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly XxHash64 _hash = new();

        public ulong Hash => _hash.GetCurrentHashAsUInt64();

        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            _hash.Append(buffer[..read]);
            return read;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.Append(buffer);
            inner.Write(buffer);
        }

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
