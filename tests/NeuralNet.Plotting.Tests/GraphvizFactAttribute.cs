using Xunit;

namespace NeuralNet.Plotting.Tests;

/// <summary>A test that runs when Graphviz' <c>dot</c> is on the PATH, and fails without it when NEURALNET_REQUIRE_GRAPHVIZ is 1 (as CI sets it).</summary>
public sealed class GraphvizFactAttribute : FactAttribute
{
    public GraphvizFactAttribute()
    {
        bool installed = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, OperatingSystem.IsWindows() ? "dot.exe" : "dot")));
        if (!installed && Environment.GetEnvironmentVariable("NEURALNET_REQUIRE_GRAPHVIZ") != "1")
        {
            Skip = "Graphviz is not installed (apt-get install graphviz).";
        }
    }
}

/// <summary>A test that needs a POSIX shell script standing in for Graphviz; skipped on Windows.</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Uses /bin/sh scripts in place of Graphviz.";
        }
    }
}
