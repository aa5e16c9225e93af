namespace NeuralNet.Docs.Tests;

/// <summary>
/// One C# code block of the documentation: the file it is in, the line its code starts on, the code, and why it is not
/// compiled when the page says so (an HTML comment <c>&lt;!-- not compiled: reason --&gt;</c> on the line before the fence,
/// for blocks that list signatures or use the test projects' helpers).
/// </summary>
public sealed record DocsSnippet(string File, int Line, string Code, string? NotCompiledReason = null)
{
    private const string NotCompiledMarker = "<!-- not compiled:";

    /// <summary>Where the block is, as <c>docs/layers.md:120</c>, so a failure names the lines to fix.</summary>
    public override string ToString() => $"{File}:{Line}";

    /// <summary>
    /// Every <c>```csharp</c> block of the README, docs/ and the packages' and samples' READMEs, in file order. Paths are
    /// relative to the repository root, with '/' separators.
    /// </summary>
    public static IReadOnlyList<DocsSnippet> All()
    {
        string root = RepositoryRoot();
        var files = new List<string> { Path.Combine(root, "README.md") };
        files.AddRange(Directory.GetFiles(Path.Combine(root, "docs"), "*.md"));
        files.AddRange(Directory.GetDirectories(Path.Combine(root, "src")).Select(d => Path.Combine(d, "README.md")).Where(System.IO.File.Exists));
        files.AddRange(Directory.GetDirectories(Path.Combine(root, "samples")).Select(d => Path.Combine(d, "README.md")).Where(System.IO.File.Exists));
        files.Sort(StringComparer.Ordinal);

        var snippets = new List<DocsSnippet>();
        foreach (string file in files)
        {
            string relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            snippets.AddRange(Blocks(relative, System.IO.File.ReadAllText(file)));
        }

        return snippets;
    }

    /// <summary>The <c>```csharp</c> blocks of one Markdown text (fences may be indented, as in a list item).</summary>
    internal static IEnumerable<DocsSnippet> Blocks(string file, string markdown)
    {
        string[] lines = markdown.ReplaceLineEndings("\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string opening = lines[i].TrimStart();
            if (!opening.StartsWith("```csharp", StringComparison.Ordinal) && !opening.StartsWith("```cs", StringComparison.Ordinal))
            {
                continue;
            }

            int indent = lines[i].Length - opening.Length;
            int start = i + 1;
            int end = start;
            while (end < lines.Length && lines[end].Trim() != "```")
            {
                end++;
            }

            if (end == lines.Length)
            {
                throw new InvalidDataException($"{file}:{i + 1}: a ```csharp block is never closed.");
            }

            IEnumerable<string> code = lines[start..end].Select(l => l.Length >= indent && l[..indent].Trim().Length == 0 ? l[indent..] : l.TrimStart());
            string before = i > 0 ? lines[i - 1].Trim() : string.Empty;
            string? reason = before.StartsWith(NotCompiledMarker, StringComparison.Ordinal) && before.EndsWith("-->", StringComparison.Ordinal)
                ? before[NotCompiledMarker.Length..^"-->".Length].Trim()
                : null;
            yield return new DocsSnippet(file, start + 1, string.Join('\n', code), reason);
            i = end;
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(folder.FullName, "NeuralNet.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No NeuralNet.sln above {AppContext.BaseDirectory}.");
    }
}
