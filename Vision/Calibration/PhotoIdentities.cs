namespace FaceOrleans.Vision;

/// <summary>
/// Who is in which photo, inferred from labelled pairs: same-person pairs link photos into people (connected
/// components). Photos in different components are taken to be different people, so every pair of photos gets a
/// label, not only the pairs the list names. Photos the list never names have no known person and are left out.
/// </summary>
public sealed class PhotoIdentities
{
    private readonly Dictionary<string, int> _person;

    private PhotoIdentities(Dictionary<string, int> person)
    {
        _person = person;
        Photos = person.Keys.Order(StringComparer.Ordinal).ToArray();
        People = person.Values.Distinct().Count();
    }

    /// <summary>Every photo with a known person, in ordinal order.</summary>
    public IReadOnlyList<string> Photos { get; }

    public int People { get; }

    public int PersonOf(string photo) => _person[photo];

    /// <exception cref="FormatException">A different-person pair joins two photos that same-person pairs link.</exception>
    public static PhotoIdentities FromPairs(IReadOnlyList<LabelledPair> pairs)
    {
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        string Root(string photo)
        {
            parent.TryAdd(photo, photo);
            while (parent[photo] != photo)
            {
                photo = parent[photo] = parent[parent[photo]];
            }

            return photo;
        }

        foreach (var pair in pairs)
        {
            var (a, b) = (Root(pair.ImageA), Root(pair.ImageB));
            if (pair.SamePerson && a != b)
            {
                parent[a] = b;
            }
        }

        var contradiction = pairs.FirstOrDefault(p => !p.SamePerson && Root(p.ImageA) == Root(p.ImageB));
        if (contradiction is not null)
        {
            throw new FormatException(
                $"{contradiction.ImageA} and {contradiction.ImageB} are labelled different people, but same-person pairs link them.");
        }

        var roots = parent.Keys.Select(Root).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select((root, index) => (root, index)).ToDictionary(r => r.root, r => r.index, StringComparer.Ordinal);
        return new PhotoIdentities(parent.Keys.ToDictionary(p => p, p => roots[Root(p)], StringComparer.Ordinal));
    }

    /// <summary>The same people, keeping only the photos <paramref name="keep"/> accepts (a quick subset for tests).</summary>
    public PhotoIdentities Where(Func<string, bool> keep) =>
        new(_person.Where(p => keep(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
}
