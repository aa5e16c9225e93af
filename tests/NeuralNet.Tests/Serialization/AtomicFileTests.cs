using NeuralNet.Layers;
using NeuralNet.Models;
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

    [LinuxFact]
    public void Write_OnLinux_TheContentHasNoNameUntilItIsComplete()
    {
        // A process killed at any of these moments leaves nothing behind: the file being written has no name yet.
        using var dir = new TempDirectory();
        string path = dir.File("model.bin");
        File.WriteAllBytes(path, s_previous);
        var seen = new List<string[]>();

        AtomicFile.Write(path, s => s.Write(new byte[200_000]), _ => seen.Add(dir.Entries()));

        Assert.Equal(2, seen.Count);
        Assert.All(seen, entries => Assert.Equal(["model.bin"], entries));
        Assert.Equal(200_000, new FileInfo(path).Length);
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

    [Fact]
    public void Write_TemporaryFilesOfKilledSaves_AreRemovedByTheNextSave()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.bin");
        File.WriteAllBytes(path, s_previous);
        for (int i = 0; i < 3; i++)
        {
            File.WriteAllBytes(dir.File($".model.bin.{Guid.NewGuid():N}.tmp"), new byte[1000]);
        }

        File.WriteAllBytes(dir.File($".other.bin.{Guid.NewGuid():N}.tmp"), new byte[10]);

        AtomicFile.Write(path, s => s.Write([7]));

        Assert.Equal(new byte[] { 7 }, File.ReadAllBytes(path));
        Assert.Equal(2, dir.Entries().Length);
        Assert.Contains(dir.Entries(), e => e.StartsWith(".other.bin.", StringComparison.Ordinal));
    }

    [Fact]
    public void Write_TemporaryFileAWriterStillHolds_IsLeftAlone()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.bin");
        string live = dir.File($".model.bin.{Guid.NewGuid():N}.tmp");
        using (var held = new FileStream(live, FileMode.CreateNew, FileAccess.Write, OperatingSystem.IsWindows() ? FileShare.Delete : FileShare.None))
        {
            AtomicFile.Write(path, s => s.Write([7]));
            Assert.True(File.Exists(live));
        }

        AtomicFile.Write(path, s => s.Write([8]));
        Assert.Equal(["model.bin"], dir.Entries());
    }

    [Fact]
    public void Write_TargetNameWithWildcards_SweepsOnlyItsOwnTemporaryFiles()
    {
        using var dir = new TempDirectory();
        string path = dir.File(OperatingSystem.IsWindows() ? "m_.bin" : "m*?.bin");
        string stale = $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(dir.File(stale), new byte[10]);
        string[] others = [".mXY.bin.backup.tmp", $".mXY.bin.{Guid.NewGuid():N}.tmp", $".{Path.GetFileName(path)}.not-a-write.tmp"];
        foreach (string other in others)
        {
            File.WriteAllBytes(dir.File(other), new byte[10]);
        }

        AtomicFile.Write(path, s => s.Write([7]));

        Assert.Equal(new byte[] { 7 }, File.ReadAllBytes(path));
        Assert.False(File.Exists(dir.File(stale)));
        Assert.All(others, other => Assert.True(File.Exists(dir.File(other)), $"{other} was deleted"));
    }

    [UnixTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Write_ExistingFile_NewFileKeepsItsPermissions(bool namedTemporary)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var dir = new TempDirectory();
        string path = dir.File("private.bin");
        File.WriteAllBytes(path, s_previous);
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        File.SetUnixFileMode(path, Private);
        Func<string, Stream>? open = namedTemporary ? temporary => new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None) : null;

        AtomicFile.Write(path, s => s.Write([42]), null, open);

        Assert.Equal(new byte[] { 42 }, File.ReadAllBytes(path));
        Assert.Equal(Private, File.GetUnixFileMode(path));
    }

    [UnixFact]
    public void Write_ThroughSymbolicLinks_ReplacesTheFinalFileAndKeepsTheLinks()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("runs"));
        string real = dir.File("runs/real.bin"), middle = dir.File("middle.bin"), link = dir.File("latest.bin");
        File.WriteAllBytes(real, s_previous);
        File.CreateSymbolicLink(middle, "runs/real.bin");
        File.CreateSymbolicLink(link, middle);
        File.WriteAllBytes(dir.File($"runs/.real.bin.{Guid.NewGuid():N}.tmp"), new byte[10]);

        AtomicFile.Write(link, s => s.Write([42]));

        Assert.Equal(middle, new FileInfo(link).LinkTarget);
        Assert.Equal("runs/real.bin", new FileInfo(middle).LinkTarget);
        Assert.Null(new FileInfo(real).LinkTarget);
        Assert.Equal(new byte[] { 42 }, File.ReadAllBytes(real));
        Assert.Equal(["real.bin"], Directory.GetFileSystemEntries(dir.File("runs")).Select(Path.GetFileName));
        Assert.Equal(["latest.bin", "middle.bin", "runs"], dir.Entries());
    }

    [UnixFact]
    public void Write_ThroughDanglingSymbolicLink_ReplacesTheLinkWithTheFile()
    {
        using var dir = new TempDirectory();
        string link = dir.File("latest.bin");
        File.CreateSymbolicLink(link, dir.File("gone.bin"));

        AtomicFile.Write(link, s => s.Write([42]));

        Assert.Null(new FileInfo(link).LinkTarget);
        Assert.Equal(new byte[] { 42 }, File.ReadAllBytes(link));
        Assert.Equal(["latest.bin"], dir.Entries());
    }

    [Fact]
    public void Write_FileSystemRefusesTheSize_ThrowsIOExceptionNamingTheTargetAndKeepsThePreviousFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.bin");
        File.WriteAllBytes(path, s_previous);

        // What .NET throws on Linux when a write exceeds the file-size limit (EFBIG), with SIGXFSZ ignored.
        var ex = Assert.Throws<IOException>(() => AtomicFile.Write(path, s => s.Write(new byte[100]), null,
            temporary => new SizeLimitedStream(new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.Delete), limit: 64)));

        Assert.Contains($"Cannot write '{path}': the file system refused a file of that size", ex.Message, StringComparison.Ordinal);
        Assert.IsType<ArgumentOutOfRangeException>(ex.InnerException);
        Assert.Equal(s_previous, File.ReadAllBytes(path));
        Assert.Equal(["model.bin"], dir.Entries());
    }

    [Fact]
    public void Write_MissingFolder_NamesTheFolderNotATemporaryFile()
    {
        using var dir = new TempDirectory();
        string folder = Path.Combine(dir.Path, "missing");
        var ex = Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.Write(Path.Combine(folder, "model.bin"), s => s.Write([1])));
        Assert.Contains($"the folder '{folder}' does not exist", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(".tmp", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AFolder_SaysItIsAFolder()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<IOException>(() => SafeTensors.Load(dir.Path));
        Assert.Contains("it is a folder, not a file", ex.Message, StringComparison.Ordinal);
        Assert.Throws<IOException>(() => Model.Load(dir.Path));
    }

    [Fact]
    public void Load_TruncatedFile_SaysTruncated()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        var model = new Sequential([new InputLayer(4), new Dense(3)]);
        model.Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^8]);
        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        File.WriteAllBytes(path, bytes[..5]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Model.Load(path)).Message, StringComparison.Ordinal);
    }

    private sealed class SizeLimitedStream(Stream inner, long limit) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (inner.Length + count > limit)
            {
                throw new ArgumentOutOfRangeException("value", "Specified file length was too large for the file system.");
            }

            inner.Write(buffer, offset, count);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>A fact that runs on Linux only (unnamed files, O_TMPFILE, are Linux's).</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Linux only: unnamed files (O_TMPFILE).";
        }
    }
}

/// <summary>A fact that runs on Unix only (file modes, symbolic links without special rights).</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Unix only: file modes and symbolic links.";
        }
    }
}

/// <summary>A theory that runs on Unix only (file modes).</summary>
public sealed class UnixTheoryAttribute : TheoryAttribute
{
    public UnixTheoryAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Unix only: file modes.";
        }
    }
}
