using Xunit;
using System.Diagnostics;

namespace NeuralNet.Onnx.Tests;

/// <summary>ONNX's own checker, run by the Python package <c>onnx</c> (Debian: <c>apt-get install python3-onnx</c>).</summary>
internal static class OnnxChecker
{
    private static readonly Lazy<string?> Python = new(() => NeuralNet.TestSupport.DebianPython.Find("NEURALNET_ONNX_PYTHON", "onnx.checker"));

    /// <summary>Set to 1 (as CI does) to fail, rather than skip, when the checker is missing.</summary>
    public const string RequireVariable = "NEURALNET_REQUIRE_ONNX_CHECKER";

    /// <summary>A Python that can import onnx, or null.</summary>
    public static string? PythonWithOnnx => Python.Value;

    /// <summary>The newest opset the installed onnx knows.</summary>
    public static int NewestOpset() => int.Parse(Run("--max-opset").Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Checks every .onnx file in <paramref name="folder"/>; returns the checker's exit code and report.</summary>
    public static (int ExitCode, string Output) Check(string folder) => Run(folder);

    private static (int ExitCode, string Output) Run(string argument)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "check_onnx.py");
        using Process process = Process.Start(new ProcessStartInfo(PythonWithOnnx!, [script, argument])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }
}

/// <summary>A fact that runs when ONNX's checker is installed, and fails without it when <see cref="OnnxChecker.RequireVariable"/> is 1.</summary>
public sealed class OnnxCheckerFactAttribute : FactAttribute
{
    public OnnxCheckerFactAttribute()
    {
        if (OnnxChecker.PythonWithOnnx is null && Environment.GetEnvironmentVariable(OnnxChecker.RequireVariable) != "1")
        {
            Skip = "ONNX's checker is not installed (apt-get install python3-onnx, or set NEURALNET_ONNX_PYTHON to a Python with the onnx package).";
        }
    }
}
