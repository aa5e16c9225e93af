using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace NeuralNet.Experiments;

/// <summary>Where a stored result came from: the code's commit, the options and the machine of the run that made it.</summary>
/// <param name="Commit">The commit checked out in the sample's repository when the run started; null when git could not tell.</param>
/// <param name="Dirty">Whether the working tree had changes outside the run's own output; null when unknown.</param>
/// <param name="GeneratedUtc">When the run started.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Quick">Whether it was a --quick smoke run (figures not comparable with the documents).</param>
/// <param name="Machine">Cores, operating system and .NET version.</param>
internal sealed record Provenance(string? Commit, bool? Dirty, DateTime GeneratedUtc, long Seed, bool Quick, string Machine)
{
    /// <summary>Reads the commit and the working tree's state with git, from the folder of this program.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="quick">Whether the run is a quick one.</param>
    /// <param name="ownOutput">Paths the run writes (its output folder and report): changes there do not make the tree dirty.</param>
    public static Provenance Capture(long seed, bool quick, params string[] ownOutput)
    {
        string machine = string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        // The program runs from the repository's bin folder, so git answers for the code that was built.
        string folder = AppContext.BaseDirectory;
        string? commit = Git(folder, "rev-parse HEAD")?.Trim();
        string? top = Git(folder, "rev-parse --show-toplevel")?.Trim();
        string? status = commit is null || top is null ? null : Git(folder, "status --porcelain");
        bool? dirty = status is null ? null : Changed(status, top!, ownOutput);
        return new Provenance(string.IsNullOrEmpty(commit) ? null : commit, dirty, DateTime.UtcNow, seed, quick, machine);
    }

    /// <summary>"commit 0cfcfa2 (clean)", "commit 0cfcfa2 (uncommitted changes)" or "commit unknown".</summary>
    public string CommitText => Commit is null
        ? "commit unknown (git was not available)"
        : string.Create(CultureInfo.InvariantCulture, $"commit {Commit[..Math.Min(7, Commit.Length)]} ({Dirty switch { true => "with uncommitted changes", false => "clean", null => "state unknown" }})");

    // `git status --porcelain` lines are "XY path" or "XY old -> new"; a change is ours when its path is under an output path.
    private static bool Changed(string status, string top, string[] ownOutput)
    {
        string[] own = [.. ownOutput.Select(p => Path.GetRelativePath(top, Path.GetFullPath(p)).Replace('\\', '/').TrimEnd('/'))];
        foreach (string line in status.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string path = line.Length > 3 ? line[3..].Trim() : string.Empty;
            int arrow = path.IndexOf(" -> ", StringComparison.Ordinal);
            path = (arrow >= 0 ? path[(arrow + 4)..] : path).Trim('"').TrimEnd('/');
            bool ours = own.Any(o => !o.StartsWith("..", StringComparison.Ordinal)
                && (path == o || path.StartsWith(o + "/", StringComparison.Ordinal) || o.StartsWith(path + "/", StringComparison.Ordinal)));
            if (!ours)
            {
                return true;
            }
        }

        return false;
    }

    private static string? Git(string folder, string arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git", $"-C \"{folder}\" {arguments}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using Process? git = Process.Start(start);
            if (git is null)
            {
                return null;
            }

            Task<string> errors = git.StandardError.ReadToEndAsync(); // drained alongside, so neither pipe fills up
            string output = git.StandardOutput.ReadToEnd();
            errors.Wait();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // git is not installed
        }
    }
}
