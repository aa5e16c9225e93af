using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace NeuralNet.Serialization;

/// <summary>
/// Linux's unnamed files (<c>open</c> with <c>O_TMPFILE</c>, then <c>linkat</c> through <c>/proc/self/fd</c>): the content
/// is written to a file that has no name until it is complete, so a process killed while writing leaves nothing behind.
/// .NET has no API for them; these are the three system calls, used only where they exist.
/// </summary>
internal static partial class UnnamedFile
{
    // glibc's soname: "libc" alone would make .NET look for libc.so, which only development packages install. Elsewhere
    // (musl) loading fails and saves use named temporary files.
    private const string LibC = "libc.so.6";
    private const int WriteOnly = 0x1;
    private const int CloseOnExec = 0x80000;
    private const int CurrentDirectory = -100;
    private const int FollowSymlinks = 0x400;
    private const int ExclusiveLock = 2;
    private const int NonBlocking = 4;
    private const int UnlockOperation = 8;
    private const int AlreadyExists = 17;

    // O_TMPFILE is __O_TMPFILE | O_DIRECTORY, whose values differ between architectures.
    private static readonly int? s_tmpFile = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x410000,
        Architecture.Arm64 or Architecture.Arm => 0x404000,
        _ => null,
    };

    /// <summary>
    /// An unnamed, writable file in <paramref name="directory"/>, locked like the named temporary files (so a concurrent
    /// sweep leaves it alone once it has a name); false where the system or the file system has none.
    /// </summary>
    public static bool TryCreate(string directory, out SafeFileHandle handle)
    {
        handle = null!;
        if (!OperatingSystem.IsLinux() || s_tmpFile is not int flag || !Directory.Exists("/proc/self/fd"))
        {
            return false;
        }

        try
        {
            int fd = Open(directory, flag | WriteOnly | CloseOnExec, Convert.ToInt32("666", 8));
            if (fd < 0)
            {
                return false;
            }

            handle = new SafeFileHandle(fd, ownsHandle: true);
            if (Flock(fd, ExclusiveLock | NonBlocking) != 0)
            {
                handle.Dispose();
                return false;
            }

            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Gives the unnamed file <paramref name="handle"/> a name: <paramref name="makeName"/>'s, a new one while a name is taken.</summary>
    /// <exception cref="IOException">The system refused the link (the message says why).</exception>
    public static string Link(SafeFileHandle handle, Func<string> makeName)
    {
        string source = $"/proc/self/fd/{handle.DangerousGetHandle()}";
        for (int attempt = 0; ; attempt++)
        {
            string name = makeName();
            if (LinkAt(CurrentDirectory, source, CurrentDirectory, name, FollowSymlinks) == 0)
            {
                return name;
            }

            int error = Marshal.GetLastPInvokeError();
            if (error != AlreadyExists || attempt >= 8)
            {
                throw new IOException($"Could not name the written file '{name}' ({Marshal.GetPInvokeErrorMessage(error)}).");
            }
        }
    }

    /// <summary>
    /// Releases the advisory lock on the file behind <paramref name="handle"/> (Linux with glibc; elsewhere nothing).
    /// </summary>
    /// <remarks>
    /// A lock belongs to the open file, which every duplicate of the descriptor shares, and a process another thread
    /// starts holds such a duplicate from its fork until its exec. Closing our descriptor then leaves the file locked for
    /// that instant, so a reader right after the save fails ("being used by another process"); unlocking releases it
    /// for every duplicate at once.
    /// </remarks>
    public static void Unlock(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux() || handle.IsInvalid || handle.IsClosed)
        {
            return;
        }

        try
        {
            Flock((int)handle.DangerousGetHandle(), UnlockOperation);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // No glibc (musl): .NET's own locking applies, as before.
        }
    }

    [LibraryImport(LibC, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport(LibC, EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkAt(int oldDirectory, string oldPath, int newDirectory, string newPath, int flags);

    [LibraryImport(LibC, EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);
}
