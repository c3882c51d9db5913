namespace Actors.Mqtt.Tests.Conformance;

/// <summary>
/// Reads and regenerates one marked block of docs/conformance.md. Test projects run in parallel processes, so a
/// rewrite holds an exclusive lock on the file while it reads, edits and writes it.
/// </summary>
public static class DocFile
{
    public static string Path => System.IO.Path.Combine(Repository.Root, "docs", "conformance.md");

    public static string Block(string doc, string start, string end)
    {
        var from = doc.IndexOf(start, StringComparison.Ordinal);
        var to = doc.IndexOf(end, StringComparison.Ordinal);
        Assert.True(from >= 0 && to > from, $"{Path} has no block between {start} and {end}");
        return doc[from..(to + end.Length)];
    }

    /// <summary>Checks that the block is <paramref name="expected"/>; with UPDATE_CONFORMANCE=1 rewrites it instead.</summary>
    public static void Check(string start, string end, string expected)
    {
        if (Environment.GetEnvironmentVariable("UPDATE_CONFORMANCE") != "1")
        {
            var actual = Block(File.ReadAllText(Path).ReplaceLineEndings("\n"), start, end);
            Assert.True(actual == expected, "docs/conformance.md is out of date; run the tests once with UPDATE_CONFORMANCE=1 to regenerate it, then review and commit it.");
            return;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var file = new FileStream(Path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                var doc = new StreamReader(file).ReadToEnd().ReplaceLineEndings("\n");
                var updated = doc.Replace(Block(doc, start, end), expected, StringComparison.Ordinal);
                file.SetLength(0);
                using var writer = new StreamWriter(file);
                writer.Write(updated);
                return;
            }
            catch (IOException) when (attempt < 50)
            {
                Thread.Sleep(100);
            }
        }
    }
}
