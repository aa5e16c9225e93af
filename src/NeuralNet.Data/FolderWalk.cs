namespace NeuralNet.Data;

/// <summary>
/// Lists the files of a folder tree in the order Keras' <c>iter_valid_files</c> gives: <c>os.walk</c> sorted by folder
/// path, then each folder's file names sorted, both by code point.
/// </summary>
internal static class FolderWalk
{
    private static readonly EnumerationOptions s_all = new() { AttributesToSkip = 0, MatchType = MatchType.Win32 };

    /// <summary>
    /// The files of <paramref name="top"/> and its sub-folders that <paramref name="kind"/> reads. Links to folders
    /// (symbolic links, and junctions on Windows: whatever has a link target) are followed only with
    /// <paramref name="followLinks"/>, as <c>os.walk(followlinks=...)</c>; other reparse points, such as cloud-file
    /// placeholders, are ordinary folders. A followed link that leads back to a folder of its own chain (a cycle, where
    /// <c>os.walk</c> would go round until the path is too long) is not followed again.
    /// </summary>
    public static List<string> Files(string top, FolderKind kind, bool followLinks)
    {
        var folders = new List<string> { top };
        var pending = new Stack<(string Folder, string[] Chain)>([(top, [Path.GetFullPath(top)])]);
        while (pending.TryPop(out var item))
        {
            foreach (string child in Directory.EnumerateDirectories(item.Folder, "*", s_all))
            {
                var info = new DirectoryInfo(child);
                if (info.LinkTarget is null)
                {
                    folders.Add(child);
                    pending.Push((child, item.Chain));
                }
                else if (followLinks && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
                {
                    string resolved = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target.FullName));
                    if (!Within(Path.GetFullPath(child), resolved) && !item.Chain.Any(c => Within(c, resolved)))
                    {
                        folders.Add(child);
                        pending.Push((child, [.. item.Chain, resolved]));
                    }
                }
            }
        }

        folders.Sort(CodePointOrder.Instance);
        var files = new List<string>();
        foreach (string root in folders)
        {
            string[] names = [.. Directory.EnumerateFiles(root, "*", s_all).Select(p => Path.GetFileName(p)).Where(kind.Matches)];
            Array.Sort(names, CodePointOrder.Instance);
            files.AddRange(names.Select(n => Path.Combine(root, n)));
        }

        return files;
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="ancestor"/> or lies under it.</summary>
    private static bool Within(string path, string ancestor)
    {
        StringComparison comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        string trimmed = Path.TrimEndingDirectorySeparator(path);
        return trimmed.Equals(ancestor, comparison)
            || trimmed.StartsWith(Path.EndsInDirectorySeparator(ancestor) ? ancestor : ancestor + Path.DirectorySeparatorChar, comparison);
    }
}
