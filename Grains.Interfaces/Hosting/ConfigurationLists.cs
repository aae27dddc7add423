using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace FaceOrleans.Contracts.Hosting;

/// <summary>
/// List settings an operator can replace whole. .NET configuration merges a list by index across appsettings.json,
/// environment variables and the command line, so those could only overwrite or blank the file's entries, never
/// drop one. After <see cref="UseWholeLists"/>, a comma-separated value replaces the list as the sources before it
/// gave it (<c>--FaceOrleans:Slice:Tenants=a,b</c>, <c>FaceOrleans__Slice__Tenants=a</c>; an empty value empties it),
/// indexed entries still merge by index on top of what came before, and blank entries are dropped
/// (<c>--FaceOrleans:Slice:Tenants:1=</c> removes the file's second entry).
/// </summary>
public static class ConfigurationLists
{
    /// <summary>Adds, on top of every source so far, the given lists as those sources state them, with nothing else under them.</summary>
    public static void UseWholeLists(this IConfigurationManager configuration, IEnumerable<string> keys)
    {
        var providers = ((IConfigurationRoot)configuration).Providers.ToArray();
        var lists = keys.ToDictionary(key => key, key => Read(providers, key), StringComparer.OrdinalIgnoreCase);
        configuration.Add(new WholeListsSource(lists));
    }

    /// <summary>The list as the providers, lowest priority first, state it.</summary>
    private static string[] Read(IConfigurationProvider[] providers, string key)
    {
        var entries = new SortedDictionary<int, string>();
        foreach (var provider in providers)
        {
            var indexed = provider.GetChildKeys([], key).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
            // A source that gives entries as well as an empty value for the list itself (the test host turns its
            // settings into such arguments) gives entries; an empty value alone empties the list.
            if (provider.TryGet(key, out var whole) && whole is not null && (whole.Length > 0 || indexed.Length == 0))
            {
                entries.Clear();
                foreach (var (item, i) in whole.Split(',').Select((item, i) => (item, i)))
                {
                    entries[i] = item;
                }
            }

            foreach (var index in indexed)
            {
                if (int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && provider.TryGet(ConfigurationPath.Combine(key, index), out var item))
                {
                    entries[i] = item ?? string.Empty;
                }
            }
        }

        return entries.Values
            .SelectMany(value => value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToArray();
    }

    private sealed class WholeListsSource(Dictionary<string, string[]> lists) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new WholeListsProvider(lists);
    }

    /// <summary>
    /// Holds each list as indexed entries and, unlike a plain in-memory source, hides the earlier sources' entries
    /// under it: configuration asks every provider in turn for a section's child keys, passing the earlier ones on.
    /// </summary>
    private sealed class WholeListsProvider : ConfigurationProvider
    {
        private readonly HashSet<string> _lists;

        public WholeListsProvider(Dictionary<string, string[]> lists)
        {
            _lists = new HashSet<string>(lists.Keys, StringComparer.OrdinalIgnoreCase);
            foreach (var (key, items) in lists)
            {
                Data[key] = null; // hides a comma-separated value from readers that bind the list
                for (var i = 0; i < items.Length; i++)
                {
                    Data[ConfigurationPath.Combine(key, i.ToString(CultureInfo.InvariantCulture))] = items[i];
                }
            }
        }

        public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath) =>
            base.GetChildKeys(parentPath is not null && _lists.Contains(parentPath) ? [] : earlierKeys, parentPath);
    }
}
