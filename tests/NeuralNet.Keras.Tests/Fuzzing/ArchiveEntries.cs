using System.IO.Compression;
using System.Text;

namespace NeuralNet.Keras.Tests.Fuzzing;

/// <summary>Zip archives rewritten entry by entry, with fixed entry times so that the same edit gives the same bytes.</summary>
internal static class ArchiveEntries
{
    private static readonly DateTimeOffset s_time = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The archive with the text of entry <paramref name="name"/> edited.</summary>
    public static byte[] WithEntry(byte[] archive, string name, Func<string, string> edit) =>
        WithEntryBytes(archive, name, bytes => Encoding.UTF8.GetBytes(edit(Encoding.UTF8.GetString(bytes))));

    /// <summary>The archive rewritten with entry <paramref name="name"/> edited and every other entry as it was.</summary>
    public static byte[] WithEntryBytes(byte[] archive, string name, Func<byte[], byte[]> edit) =>
        Rewrite(archive, entries => entries.Select(e => (e.Name, e.Name == name ? edit(e.Bytes) : e.Bytes)));

    /// <summary>The names of the archive's entries, in order.</summary>
    public static List<string> Names(byte[] archive)
    {
        using var source = new ZipArchive(new MemoryStream(archive, writable: false), ZipArchiveMode.Read);
        return [.. source.Entries.Select(e => e.FullName)];
    }

    /// <summary>An archive of the given entries, in order.</summary>
    public static byte[] Create(IEnumerable<(string Name, byte[] Bytes)> entries)
    {
        using var output = new MemoryStream();
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                ZipArchiveEntry copy = target.CreateEntry(name);
                copy.LastWriteTime = s_time;
                using Stream written = copy.Open();
                written.Write(bytes);
            }
        }

        return output.ToArray();
    }

    private static byte[] Rewrite(byte[] archive, Func<List<(string Name, byte[] Bytes)>, IEnumerable<(string Name, byte[] Bytes)>> edit)
    {
        var entries = new List<(string, byte[])>();
        using (var source = new ZipArchive(new MemoryStream(archive, writable: false), ZipArchiveMode.Read))
        {
            foreach (ZipArchiveEntry entry in source.Entries)
            {
                using var content = new MemoryStream();
                using (Stream stream = entry.Open())
                {
                    stream.CopyTo(content);
                }

                entries.Add((entry.FullName, content.ToArray()));
            }
        }

        return Create(edit(entries));
    }
}
