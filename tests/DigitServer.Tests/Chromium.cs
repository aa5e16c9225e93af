using System.Diagnostics;

namespace NeuralNet.Samples.DigitServer.Tests;

/// <summary>
/// Finds the installed Chromium (Debian's chromium package; NEURALNET_CHROMIUM may name another executable) and,
/// when there is none, runs the repository's .ci/install-browser.sh once, so <c>dotnet test</c> works on a fresh machine.
/// No browser is downloaded by the test library. When no browser can be had, <see cref="Require"/> throws, and the
/// browser test fails with the reason: it never passes without having run.
/// </summary>
internal static class Chromium
{
    private static readonly Lazy<string> s_path = new(Locate, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The path of the Chromium executable, installing it first if needed.</summary>
    /// <exception cref="InvalidOperationException">No Chromium is installed and installing it failed.</exception>
    public static string Require() => s_path.Value;

    private static string? Find()
    {
        string? configured = Environment.GetEnvironmentVariable("NEURALNET_CHROMIUM");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
        {
            return configured;
        }

        string[] folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (string name in new[] { "chromium", "chromium-browser" })
        {
            foreach (string folder in folders)
            {
                string candidate = Path.Combine(folder, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static string Locate()
    {
        if (Find() is string found)
        {
            return found;
        }

        string script = FindInstallScript()
            ?? throw new InvalidOperationException(
                "The DigitServer browser test needs Chromium, none was found on the PATH, and .ci/install-browser.sh was not found above " +
                $"{AppContext.BaseDirectory} to install it. Install Debian's chromium package (apt-get install chromium) or set NEURALNET_CHROMIUM.");

        var start = new ProcessStartInfo("bash", [script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process? started;
        try
        {
            started = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"The DigitServer browser test needs Chromium; none was found, and bash could not be started to run {script} ({e.Message}). Install Debian's chromium package.", e);
        }

        using Process process = started ?? throw new InvalidOperationException($"Could not start bash to run {script}.");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{script} did not finish within 10 minutes; install Debian's chromium package by hand.");
        }

        string log = (output.Result + error.Result).Trim();
        if (process.ExitCode != 0 || Find() is not string installed)
        {
            throw new InvalidOperationException(
                $"The DigitServer browser test needs Chromium; none was found and {script} could not install it (exit code {process.ExitCode}):{Environment.NewLine}{log}");
        }

        return installed;
    }

    private static string? FindInstallScript()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, ".ci", "install-browser.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
