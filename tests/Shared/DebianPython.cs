using System.Diagnostics;

namespace NeuralNet.TestSupport;

/// <summary>
/// Finds a Python that can import the modules a test needs (Debian's python3-onnx, python3-h5py): an override from
/// an environment variable, then Debian's /usr/bin/python3, which a pyenv or venv 'python3' on the PATH may hide, then
/// whatever 'python3' the PATH gives. Compiled into the test projects that run Python checks.
/// </summary>
internal static class DebianPython
{
    /// <summary>The first candidate for which <c>python -c "import ..."</c> succeeds, or null.</summary>
    public static string? Find(string overrideVariable, string imports)
    {
        foreach (string? candidate in new[] { Environment.GetEnvironmentVariable(overrideVariable), "/usr/bin/python3", "python3" })
        {
            if (string.IsNullOrEmpty(candidate))
            {
                continue;
            }

            try
            {
                using Process? process = Process.Start(new ProcessStartInfo(candidate, ["-c", "import " + imports])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                });
                if (process is not null && process.WaitForExit(60_000) && process.ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed under that name: try the next.
            }
        }

        return null;
    }
}
