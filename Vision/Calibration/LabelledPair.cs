namespace FaceOrleans.Vision;

/// <summary>One labelled pair: the two image file names and whether they show the same person.</summary>
public sealed record LabelledPair(string ImageA, string ImageB, bool SamePerson)
{
    /// <summary>Reads a CSV with the header <c>image_a,image_b,same_person</c> (same_person is 1 or 0).</summary>
    public static IReadOnlyList<LabelledPair> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();
        if (lines.Length == 0 || !lines[0].Trim().Equals("image_a,image_b,same_person", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"'{path}' must start with the header 'image_a,image_b,same_person'.");
        }

        return lines.Skip(1).Select((line, i) =>
        {
            var cells = line.Split(',', StringSplitOptions.TrimEntries);
            if (cells.Length != 3 || cells[2] is not ("0" or "1"))
            {
                throw new FormatException($"'{path}' line {i + 2}: expected image_a,image_b,0|1 but found '{line}'.");
            }

            return new LabelledPair(cells[0], cells[1], cells[2] == "1");
        }).ToArray();
    }
}
