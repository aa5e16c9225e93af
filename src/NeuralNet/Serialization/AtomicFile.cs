namespace NeuralNet.Serialization;

/// <summary>
/// Writes a file so that readers only ever see the previous content or the complete new content.
/// </summary>
/// <remarks>
/// <para>The content goes to a temporary file in the target's folder (<c>.name.random.tmp</c>), which is flushed to disk
/// (<see cref="FileStream.Flush(bool)"/> with <c>true</c>), closed, then renamed over the target with
/// <see cref="File.Move(string, string, bool)"/>: a single rename, atomic on POSIX file systems and NTFS. If anything
/// throws before the rename, including the caller's write callback, the temporary file is deleted and the target
/// is left byte-identical (or absent, if it did not exist). The temporary file lives in the same folder so the
/// rename never crosses file systems.</para>
/// <para>A process killed mid-write cannot delete its temporary file, so every write to a target first removes the
/// temporary files earlier writes to the same target left behind: those no live writer holds (a writer keeps its
/// temporary file open until it is renamed, and the sweep only deletes a file it can open exclusively). A stray file
/// therefore never outlives the next write to the same path. Only names of exactly that form
/// (<c>.name.</c>, 32 hexadecimal digits, <c>.tmp</c>) are swept, whatever characters the target's name holds.</para>
/// <para>Replacing an existing file keeps what describes it: when the path is a symbolic link to an existing file,
/// that file is replaced (its temporary file lives in its folder) and the link stays a link; and on Unix the new file
/// takes the old file's permission bits (<see cref="File.GetUnixFileMode(string)"/>) instead of the process's
/// default. Owner and group are not copied.</para>
/// <para>Public so that the optional packages (NeuralNet.Onnx) and applications write their files the same way.</para>
/// </remarks>
public static class AtomicFile
{
    private const int BufferSize = 1 << 16;

    /// <summary>Writes <paramref name="path"/> atomically with the content <paramref name="write"/> produces.</summary>
    /// <param name="path">The target file; its folder must exist.</param>
    /// <param name="write">Writes the content to the given stream; must not dispose it.</param>
    /// <exception cref="DirectoryNotFoundException">The target's folder does not exist; the message names it.</exception>
    /// <exception cref="IOException">The target is a folder, or writing failed (a full disk, a file-size limit); the target is unchanged.</exception>
    public static void Write(string path, Action<Stream> write) => Write(path, write, null, null);

    /// <summary>
    /// As <see cref="Write(string, Action{Stream})"/>, calling <paramref name="stageHook"/> at each stage and opening the
    /// temporary file with <paramref name="open"/> when given (failure-injection tests).
    /// </summary>
    internal static void Write(string path, Action<Stream> write, Action<AtomicFileStage>? stageHook, Func<string, Stream>? open = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);

        string fullPath = FinalTarget(Path.GetFullPath(path));
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

        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Cannot write '{fullPath}': the folder '{directory}' does not exist.");
        }

        UnixFileMode? mode = ExistingMode(fullPath);
        RemoveStaleTemporaries(directory, fileName);
        string temporary = string.Empty;
        try
        {
            if (open is null && UnnamedFile.TryCreate(directory, out Microsoft.Win32.SafeHandles.SafeFileHandle unnamed))
            {
                // Linux: the content goes to a file with no name, so a process killed while writing leaves nothing; it
                // takes a temporary name (which the sweep knows) only for the instant before the rename.
                using (unnamed)
                using (var stream = new FileStream(unnamed, FileAccess.Write, BufferSize))
                {
                    write(stream);
                    stageHook?.Invoke(AtomicFileStage.Written);
                    stream.Flush(flushToDisk: true);
                    stageHook?.Invoke(AtomicFileStage.Flushed);
                    if (mode is UnixFileMode unnamedMode && !OperatingSystem.IsWindows())
                    {
                        File.SetUnixFileMode(unnamed, unnamedMode);
                    }

                    temporary = UnnamedFile.Link(unnamed, () => TemporaryName(directory, fileName));
                    File.Move(temporary, fullPath, overwrite: true);
                    UnnamedFile.Unlock(unnamed);
                }

                return;
            }

            using (Stream stream = CreateTemporary(directory, fileName, open, out temporary))
            {
                write(stream);
                stageHook?.Invoke(AtomicFileStage.Written);
                if (stream is FileStream file)
                {
                    file.Flush(flushToDisk: true);
                }
                else
                {
                    stream.Flush();
                }

                stageHook?.Invoke(AtomicFileStage.Flushed);
                if (mode is UnixFileMode namedMode && !OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(temporary, namedMode);
                }

                File.Move(temporary, fullPath, overwrite: true);
                if (stream is FileStream named)
                {
                    UnnamedFile.Unlock(named.SafeFileHandle);
                }
            }
        }
        catch (ArgumentOutOfRangeException ex) when (ex.ParamName is "value" or "length" or null)
        {
            // .NET reports a write the file system refuses for its size (EFBIG: a file-size limit) this way.
            TryDelete(temporary);
            throw new IOException($"Cannot write '{fullPath}': the file system refused a file of that size ({ex.Message}). The previous file is unchanged.", ex);
        }
        catch (IOException ex) when (ex is not DirectoryNotFoundException)
        {
            TryDelete(temporary);
            throw new IOException($"Cannot write '{fullPath}': {ex.Message} The previous file is unchanged.", ex);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    // A symbolic link (or a chain of them) that ends at an existing file: that file, so that the rename replaces it and
    // leaves the link alone. Anything else (not a link, a dangling link, a link to a folder, a loop): the path itself.
    private static string FinalTarget(string fullPath)
    {
        try
        {
            var info = new FileInfo(fullPath);
            if (info.LinkTarget is null)
            {
                return fullPath;
            }

            return info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true } final ? final.FullName : fullPath;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return fullPath;
        }
    }

    // The permission bits of the file being replaced, which the new file takes; null when there is none, or on Windows.
    private static UnixFileMode? ExistingMode(string fullPath)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(fullPath))
        {
            return null;
        }

        try
        {
            return File.GetUnixFileMode(fullPath);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    // The temporary file stays open, locked against the sweep of a concurrent writer, until it has its final name. On
    // Unix FileShare.None is an exclusive advisory lock taken just after the file is created (and an open file can be
    // renamed); Windows needs FileShare.Delete to rename an open file, and its sharing rules keep the sweep out. A
    // concurrent writer's sweep can lock a new file in the instant before its creator does: the creator then takes
    // another name.
    private static Stream CreateTemporary(string directory, string fileName, Func<string, Stream>? open, out string temporary)
    {
        const int SharingViolation = unchecked((int)0x80070020);
        FileShare share = OperatingSystem.IsWindows() ? FileShare.Delete : FileShare.None;
        for (int attempt = 0; ; attempt++)
        {
            temporary = TemporaryName(directory, fileName);
            try
            {
                return open?.Invoke(temporary) ?? new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, share, BufferSize);
            }
            catch (IOException ex) when (ex.HResult == SharingViolation && attempt < 8)
            {
                TryDelete(temporary);
            }
        }
    }

    private static string TemporaryName(string directory, string fileName) => Path.Combine(directory, $".{fileName}.{Guid.NewGuid():N}.tmp");

    // Temporary files of earlier writes to this target that no writer holds open: left by a killed process. Also used by
    // BackupAndRestore when it removes its backup, so that a killed write leaves nothing behind in its folder.
    internal static void RemoveStaleTemporaries(string directory, string fileName)
    {
        IEnumerable<string> candidates;
        try
        {
            // The target's name is not used as a search pattern: '*' or '?' in it would match other files.
            candidates = Directory.EnumerateFiles(directory).Where(candidate => IsTemporaryOf(Path.GetFileName(candidate), fileName));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (string candidate in candidates)
        {
            try
            {
                // Opening with FileShare.None fails while a live writer holds the file; then it is left alone.
                using (new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                }

                File.Delete(candidate);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // In use, or not ours to delete: the write goes ahead without it.
            }
        }
    }

    // Whether name is TemporaryName's form for fileName: ".fileName." then 32 hexadecimal digits then ".tmp".
    private static bool IsTemporaryOf(string name, string fileName)
    {
        const int GuidLength = 32;
        if (name.Length != fileName.Length + GuidLength + 6
            || name[0] != '.'
            || !name.AsSpan(1).StartsWith(fileName, StringComparison.Ordinal)
            || name[fileName.Length + 1] != '.'
            || !name.EndsWith(".tmp", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in name.AsSpan(fileName.Length + 2, GuidLength))
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static void TryDelete(string temporary)
    {
        if (temporary.Length == 0)
        {
            return;
        }

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
