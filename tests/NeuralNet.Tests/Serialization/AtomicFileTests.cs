using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Serialization;

public class AtomicFileTests
{
    private static readonly byte[] s_previous = [1, 2, 3, 4, 5, 6, 7, 8, 9];

    [Fact]
    public void Write_NewFile_CreatesItWithTheContent()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.bin");

        AtomicFile.Write(path, s => s.Write([10, 20, 30]));

        Assert.Equal(new byte[] { 10, 20, 30 }, File.ReadAllBytes(path));
        Assert.Equal(["model.bin"], dir.Entries());
    }

    [Fact]
    public void Write_ExistingFile_ReplacesTheContent()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.bin");
        File.WriteAllBytes(path, s_previous);

        AtomicFile.Write(path, s => s.Write([42]));

        Assert.Equal(new byte[] { 42 }, File.ReadAllBytes(path));
        Assert.Equal(["model.bin"], dir.Entries());
    }

    [Fact]
    public void Write_ExceptionMidWrite_LeavesPreviousFileByteIdenticalAndNoTemporaryFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.bin");
        File.WriteAllBytes(path, s_previous);
        var big = new byte[300_000];
        big.AsSpan().Fill(0xAB);

        var ex = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(big);   // larger than the stream's buffer: part of it reaches the temporary file
            throw new InvalidOperationException("injected mid-write");
        }));

        Assert.Equal("injected mid-write", ex.Message);
        Assert.Equal(s_previous, File.ReadAllBytes(path));
        Assert.Equal(["model.bin"], dir.Entries());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Write_ExceptionAtStage_LeavesPreviousFileByteIdenticalAndNoTemporaryFile(int stageNumber)
    {
        var stage = (AtomicFileStage)stageNumber;
        using var dir = new TempDirectory();
        string path = dir.File("model.bin");
        File.WriteAllBytes(path, s_previous);

        Assert.Throws<IOException>(() => AtomicFile.Write(
            path,
            s => s.Write(new byte[1000]),
            at =>
            {
                if (at == stage)
                {
                    throw new IOException($"injected at {at}");
                }
            }));

        Assert.Equal(s_previous, File.ReadAllBytes(path));
        Assert.Equal(["model.bin"], dir.Entries());
    }

    [Fact]
    public void Write_ExceptionWithNoPreviousFile_LeavesNoFileAtAll()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.bin");

        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write([1, 2, 3]);
            throw new InvalidOperationException("injected");
        }));

        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void Write_MissingFolder_ThrowsAndCreatesNothing()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "missing", "model.bin");

        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.Write(path, s => s.Write([1])));

        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void Write_TargetIsAFolder_ThrowsNamingItAndKeepsTheFolder()
    {
        using var dir = new TempDirectory();
        string path = dir.File("sub");
        Directory.CreateDirectory(path);

        var ex = Assert.Throws<IOException>(() => AtomicFile.Write(path, s => s.Write([1])));

        Assert.Contains("is a folder", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["sub"], dir.Entries());
    }

    [Fact]
    public void Write_ConcurrentWritersToSameTarget_FileIsAlwaysOneCompleteVersion()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.bin");
        var versions = Enumerable.Range(1, 8).Select(v => Enumerable.Repeat((byte)v, 50_000 + v).ToArray()).ToArray();

        Parallel.For(0, versions.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, v => AtomicFile.Write(path, s => s.Write(versions[v])));

        byte[] final = File.ReadAllBytes(path);
        Assert.Contains(versions, v => v.AsSpan().SequenceEqual(final));
        Assert.Equal(["model.bin"], dir.Entries());
    }
}
