namespace NeuralNet.Serialization;

/// <summary>
/// Writes a file so that readers only ever see the previous content or the complete new content.
/// </summary>
/// <remarks>
/// The content goes to a temporary file in the target's folder (<c>.name.random.tmp</c>), which is flushed to disk
/// (<see cref="FileStream.Flush(bool)"/> with <c>true</c>), closed, then renamed over the target with
/// <see cref="File.Move(string, string, bool)"/>: a single rename, atomic on POSIX file systems and NTFS. If anything
/// throws before the rename, including the caller's write callback, the temporary file is deleted and the target
/// is left byte-identical (or absent, if it did not exist). The temporary file lives in the same folder so the
/// rename never crosses file systems.
/// </remarks>
internal static class AtomicFile
{
    private const int BufferSize = 1 << 16;

    /// <summary>Writes <paramref name="path"/> atomically with the content <paramref name="write"/> produces.</summary>
    /// <param name="path">The target file; its folder must exist.</param>
    /// <param name="write">Writes the content to the given stream; must not dispose it.</param>
    /// <exception cref="IOException">The folder does not exist, the target is a folder, or writing failed; the target is unchanged.</exception>
    public static void Write(string path, Action<Stream> write) => Write(path, write, null);

    /// <summary>As <see cref="Write(string, Action{Stream})"/>, calling <paramref name="stageHook"/> at each stage (for failure-injection tests).</summary>
    internal static void Write(string path, Action<Stream> write, Action<AtomicFileStage>? stageHook)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);

        string fullPath = Path.GetFullPath(path);
        string fileName = Path.GetFileName(fullPath);
        string? directory = Path.GetDirectoryName(fullPath);
        if (fileName.Length == 0 || directory is null)
        {
            throw new ArgumentException($"'{path}' does not name a file.", nameof(path));
        }

        if (Directory.Exists(fullPath))
        {
            throw new IOException($"Cannot write '{fullPath}': it is a folder.");
        }

        string temporary = Path.Combine(directory, $".{fileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize))
            {
                write(stream);
                stageHook?.Invoke(AtomicFileStage.Written);
                stream.Flush(flushToDisk: true);
            }

            stageHook?.Invoke(AtomicFileStage.Flushed);
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string temporary)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (IOException)
        {
            // Best effort: the original exception matters more than a temporary file we could not remove.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }
}
