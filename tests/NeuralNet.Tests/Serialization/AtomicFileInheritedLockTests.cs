using System.Runtime.InteropServices;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Serialization;

/// <summary>
/// A process started by another thread while a file is being saved inherits a duplicate of its descriptor until it
/// execs; the save's lock must not outlive the save through that duplicate, or a load right after it fails with "being
/// used by another process" (seen in the Keras tests, which start Python while other tests save and load).
/// </summary>
public class AtomicFileInheritedLockTests
{
    [Fact]
    public void A_duplicate_of_the_saving_descriptor_does_not_lock_the_saved_file()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // flock through /proc/self/fd is Linux's; elsewhere saves use .NET's own locking.
        }

        using var dir = new TempDirectory();
        string path = dir.File("model.bin");
        int duplicate = -1;

        AtomicFile.Write(path, s => s.Write([1, 2, 3]), stage =>
        {
            if (stage == AtomicFileStage.Flushed)
            {
                // The file being written, as a child process forked now would hold it: a duplicate of its descriptor.
                string descriptor = Directory.EnumerateFileSystemEntries("/proc/self/fd")
                    .Single(fd => new FileInfo(fd).LinkTarget is string target && target.StartsWith(dir.Path + "/", StringComparison.Ordinal)
                        && (target.Contains("/#", StringComparison.Ordinal) || target.Contains("/.model.bin.", StringComparison.Ordinal)));
                duplicate = Dup(int.Parse(Path.GetFileName(descriptor), System.Globalization.CultureInfo.InvariantCulture));
            }
        });

        try
        {
            Assert.True(duplicate >= 0, "the test found the descriptor of the file being written");
            Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
            using var again = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        finally
        {
            Close(duplicate);
        }
    }

    [DllImport("libc.so.6", EntryPoint = "dup", SetLastError = true)]
    private static extern int Dup(int fd);

    [DllImport("libc.so.6", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
