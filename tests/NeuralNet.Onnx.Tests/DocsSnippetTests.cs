using System.Reflection;
using NeuralNet.Samples.Onnx;
using OnnxDocsSnippets;
using Xunit;

namespace NeuralNet.Onnx.Tests;

/// <summary>The C# snippet docs/onnx.md shows for ONNX Runtime compiles (DocsSnippets/RunWithOnnxRuntime.cs), runs, and is what the docs show.</summary>
public sealed class DocsSnippetTests
{
    private const string SnippetFile = "DocsSnippets/RunWithOnnxRuntime.cs";

    [Fact]
    public void The_onnx_runtime_snippet_runs_and_matches_predict()
    {
        Models.Model model = MnistCnn.Build().Randomized();
        float[] pixels = Tensor.RandomUniform(new TensorShape(1, 28, 28, 1), seed: 9).AsReadOnlySpan().ToArray();
        try
        {
            (float[] probabilities, Tensor expected) = RunWithOnnxRuntime.Run(model, pixels);
            OnnxRoundTrip.AssertClose(expected.AsReadOnlySpan(), probabilities, "digit");
        }
        finally
        {
            File.Delete("digits.onnx");
        }
    }

    [Fact]
    public void The_docs_show_the_compiled_snippet()
    {
        string docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "onnx.md")).ReplaceLineEndings("\n");
        int section = docs.IndexOf("\n## Running the file with ONNX Runtime\n", StringComparison.Ordinal);
        Assert.True(section >= 0, "docs/onnx.md has no section 'Running the file with ONNX Runtime'.");
        int start = docs.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
        string shown = docs[start..docs.IndexOf("```", start, StringComparison.Ordinal)];

        Assert.Equal(Snippet(), shown);
    }

    // The lines between the snippet markers of the compiled file, each region dedented, regions separated by a blank line.
    private static string Snippet()
    {
        using Stream stream = typeof(DocsSnippetTests).Assembly.GetManifestResourceStream(SnippetFile)
            ?? throw new InvalidOperationException($"{SnippetFile} is not embedded in the test assembly.");
        string[] lines = new StreamReader(stream).ReadToEnd().ReplaceLineEndings("\n").Split('\n');
        var regions = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "// <snippet>")
            {
                continue;
            }

            int indent = lines[i].Length - lines[i].TrimStart().Length;
            var region = new List<string>();
            for (i++; lines[i].Trim() != "// </snippet>"; i++)
            {
                region.Add(lines[i].Length >= indent ? lines[i][indent..] : lines[i].TrimStart());
            }

            regions.Add(string.Join("", region.Select(l => l + "\n")));
        }

        return string.Join("\n", regions);
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "docs", "onnx.md")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No docs/onnx.md above {AppContext.BaseDirectory}.");
    }
}
