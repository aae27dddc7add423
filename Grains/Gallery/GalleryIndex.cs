namespace FaceOrleans.Grains.Gallery;

/// <summary>
/// One shard's faces in memory as int8 codes (one scale per face, about a quarter of float32), with the
/// float32 embeddings in a <see cref="VectorFile"/> for the exact re-rank. A search scans the codes with SIMD
/// in parallel over the machine's cores, keeps every face whose score could still reach the answer, and
/// re-ranks that short list with exact float32 dot products, so its answer is the exact float32 answer (see
/// <see cref="GallerySearch"/>). Rows live in fixed-size blocks, so growth never copies the whole index.
/// </summary>
/// <remarks>
/// Many searches may run at once; an add or remove must not overlap a search. The shard grain guarantees
/// that (it takes searches and changes one at a time), and the index throws rather than corrupt a running
/// scan if someone breaks the rule.
/// </remarks>
public sealed partial class GalleryIndex : IDisposable
{
    internal const int BlockShift = 12;
    internal const int BlockRows = 1 << BlockShift;
    private const int FirstBlockRows = 64;

    private readonly List<IndexBlock> _blocks = [];
    private readonly Dictionary<string, int> _rowOfFace = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _ordinalOfSubject = new(StringComparer.Ordinal);
    private readonly List<string> _subjects = [];
    private readonly Stack<int> _freeSlots = new();
    private readonly Func<int, VectorFile> _createVectors;
    private VectorFile? _vectors;
    private int _slotCount;
    private int _activeScans;

    /// <param name="createVectors">Creates the float32 file once the dimension is known; a temporary file by default.</param>
    public GalleryIndex(Func<int, VectorFile>? createVectors = null) => _createVectors = createVectors ?? VectorFile.CreateTemporary;

    public int Count { get; private set; }

    public int Dimension { get; private set; }

    /// <summary>
    /// The recognizer of the faces here, as the owning shard recorded it (null: not recorded, or no face yet); kept in
    /// the snapshot, so a snapshot of another embedding space is never taken for the store's.
    /// </summary>
    public EmbeddingModel? Model { get; set; }

    /// <summary>The file holding the float32 embeddings, once the first face arrived.</summary>
    public VectorFile? Vectors => _vectors;

    public bool Contains(string faceId) => _rowOfFace.ContainsKey(faceId);

    public IEnumerable<string> FaceIds => _rowOfFace.Keys;

    /// <summary>Adds a face (its float32 embedding to the file, its codes to memory); false when the face is already here.</summary>
    public bool Add(string faceId, string subjectId, ReadOnlySpan<float> embedding)
    {
        EnsureNoScan();
        if (Dimension == 0)
        {
            Dimension = embedding.Length > 0 ? embedding.Length : throw new ArgumentException("An embedding cannot be empty.", nameof(embedding));
        }
        else if (embedding.Length != Dimension)
        {
            throw new ArgumentException($"This gallery holds {Dimension}-d embeddings; got {embedding.Length}-d.", nameof(embedding));
        }

        if (_rowOfFace.ContainsKey(faceId))
        {
            return false;
        }

        var row = Count;
        var block = BlockFor(row);
        var offset = row & (BlockRows - 1);
        var (scale, error, norm) = Int8Codec.Encode(embedding, block.Codes.AsSpan(offset * Dimension, Dimension));
        var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _slotCount++;
        _vectors ??= _createVectors(Dimension);
        _vectors.Write(slot, embedding);
        block.Set(offset, faceId, OrdinalOf(subjectId), slot, scale, error, norm);
        _rowOfFace[faceId] = row;
        Count++;
        return true;
    }

    public bool Remove(string faceId)
    {
        EnsureNoScan();
        if (!_rowOfFace.Remove(faceId, out var row))
        {
            return false;
        }

        var (block, offset) = Locate(row);
        _freeSlots.Push(block.Slot[offset]);
        _vectors?.Erase(block.Slot[offset]);

        // Move the last row into the hole so the rows stay contiguous for the scan.
        var last = Count - 1;
        var (lastBlock, lastOffset) = Locate(last);
        if (row != last)
        {
            block.CopyFrom(offset, lastBlock, lastOffset, Dimension);
            _rowOfFace[block.FaceId[offset]] = row;
        }

        lastBlock.FaceId[lastOffset] = null!;
        Count--;
        if (Count == (_blocks.Count - 1) << BlockShift)
        {
            _blocks.RemoveAt(_blocks.Count - 1);
        }

        return true;
    }

    public int RemoveSubject(string subjectId)
    {
        EnsureNoScan();
        if (!_ordinalOfSubject.TryGetValue(subjectId, out var ordinal))
        {
            return 0;
        }

        var faces = new List<string>();
        for (var row = 0; row < Count; row++)
        {
            var (block, offset) = Locate(row);
            if (block.Subject[offset] == ordinal)
            {
                faces.Add(block.FaceId[offset]);
            }
        }

        foreach (var face in faces)
        {
            Remove(face);
        }

        return faces.Count;
    }

    /// <summary>
    /// For each query, the top-k subjects by their best face's exact float32 score (only <paramref name="onlySubject"/>'s
    /// faces when given). Runs on the thread pool, never on the caller's scheduler; cancelling stops the scan
    /// at its next block.
    /// </summary>
    public Task<IReadOnlyList<Candidate>[]> SearchAsync(
        IReadOnlyList<float[]> queries, int topK, string? onlySubject = null, CancellationToken cancellationToken = default)
    {
        foreach (var query in queries)
        {
            if (Count > 0 && query.Length != Dimension)
            {
                throw new ArgumentException($"This gallery holds {Dimension}-d embeddings; the query is {query.Length}-d.", nameof(queries));
            }
        }

        if (Count == 0 || topK <= 0 || queries.Count == 0)
        {
            return Task.FromResult(queries.Select(_ => (IReadOnlyList<Candidate>)[]).ToArray());
        }

        // No token for this Task.Run: once counted, the scan must reach its finally even if cancelled first.
        Interlocked.Increment(ref _activeScans);
        return Task.Run(async () =>
        {
            try
            {
                if (ScanStarting is { } hold)
                {
                    await hold();
                }

                var search = new GallerySearch(this, queries.Select(q => new QuantizedQuery(q)).ToArray(), topK, cancellationToken);
                return onlySubject is null ? await search.RunAsync() : search.ExactForSubject(onlySubject);
            }
            finally
            {
                Interlocked.Decrement(ref _activeScans);
            }
        });
    }

    /// <summary>Tests only: awaited at the start of every scan, so a test can hold a real search in flight.</summary>
    internal Func<Task>? ScanStarting { get; set; }

    /// <summary>Synchronous form of <see cref="SearchAsync"/> for one query.</summary>
    public IReadOnlyList<Candidate> Search(float[] query, int topK, string? onlySubject = null) =>
        SearchAsync([query], topK, onlySubject).GetAwaiter().GetResult()[0];

    /// <summary>Drops the spare capacity left by growth, e.g. once a shard has loaded from the store.</summary>
    public void TrimExcess()
    {
        EnsureNoScan();
        if (_blocks.Count > 0)
        {
            _blocks[^1].Resize(Count - ((_blocks.Count - 1) << BlockShift), Dimension);
        }

        _rowOfFace.TrimExcess();
        _ordinalOfSubject.TrimExcess();
        _subjects.TrimExcess();
    }

    public void Dispose() => _vectors?.Dispose();

    internal (IndexBlock Block, int Offset) Locate(int row) => (_blocks[row >> BlockShift], row & (BlockRows - 1));

    internal IReadOnlyList<IndexBlock> Blocks => _blocks;

    internal string SubjectName(int ordinal) => _subjects[ordinal];

    internal bool TryGetSubject(string subjectId, out int ordinal) => _ordinalOfSubject.TryGetValue(subjectId, out ordinal);

    private IndexBlock BlockFor(int row)
    {
        var index = row >> BlockShift;
        if (index == _blocks.Count)
        {
            _blocks.Add(new IndexBlock(index == 0 ? FirstBlockRows : BlockRows, Dimension));
        }

        var block = _blocks[index];
        var offset = row & (BlockRows - 1);
        if (offset == block.Capacity)
        {
            block.Resize(Math.Min(BlockRows, block.Capacity * 2), Dimension);
        }

        return block;
    }

    private int OrdinalOf(string subjectId)
    {
        if (!_ordinalOfSubject.TryGetValue(subjectId, out var ordinal))
        {
            ordinal = _subjects.Count;
            _subjects.Add(subjectId);
            _ordinalOfSubject[subjectId] = ordinal;
        }

        return ordinal;
    }

    private void EnsureNoScan()
    {
        if (Volatile.Read(ref _activeScans) != 0)
        {
            throw new InvalidOperationException("A gallery index cannot change while a search is scanning it.");
        }
    }
}
