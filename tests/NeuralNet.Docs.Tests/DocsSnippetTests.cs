using Microsoft.CodeAnalysis;
using Xunit;

namespace NeuralNet.Docs.Tests;

/// <summary>
/// Every C# block of the README, docs/ and the packages' READMEs compiles against the packages as they are: a renamed
/// type, a removed member, a parameter name or count that changed, an internal member shown as public fail here, naming
/// the page, the line and the compiler's message.
/// </summary>
public sealed class DocsSnippetTests
{
    private static readonly Lazy<IReadOnlyList<DocsSnippet>> Snippets = new(DocsSnippet.All);

    private static readonly Lazy<MetadataReference> DocsTypes = new(() => SnippetCompiler.DocsTypes(Snippets.Value.Where(s => s.NotCompiledReason is null)));

    /// <summary>Each block by its place ("docs/layers.md:424"), so the test list names what failed.</summary>
    public static TheoryData<string> Places => [.. Snippets.Value.Where(s => s.NotCompiledReason is null).Select(s => s.ToString())];

    [Theory]
    [MemberData(nameof(Places))]
    public void The_block_compiles_against_the_packages(string place)
    {
        DocsSnippet snippet = Snippets.Value.Single(s => s.ToString() == place);

        IReadOnlyList<string> errors = SnippetCompiler.Errors(snippet, DocsTypes.Value);

        Assert.True(errors.Count == 0, $"{place}: the block does not compile against the packages (line within the block: error):\n{string.Join('\n', errors)}\n--- the block:\n{snippet.Code}");
    }

    [Fact]
    public void The_docs_have_blocks_and_say_why_a_block_is_not_compiled()
    {
        Assert.True(Snippets.Value.Count >= 50, $"Only {Snippets.Value.Count} C# blocks found in the docs; the extraction is broken.");
        Assert.All(Snippets.Value.Where(s => s.NotCompiledReason is not null), s => Assert.False(string.IsNullOrWhiteSpace(s.NotCompiledReason), $"{s}: a 'not compiled' block gives no reason."));
        Assert.True(Snippets.Value.Count(s => s.NotCompiledReason is not null) <= 5, "More than five blocks are excluded from compilation; compile them instead.");
    }

    [Fact]
    public void The_check_reports_what_went_stale_and_leaves_the_prose_names_alone()
    {
        // A block as a page would show it: model and x come from the prose, Decode is the reader's function.
        var stale = new DocsSnippet("docs/example.md", 10, """
            var dense = new Dense(10, activaton: ActivationFunction.Relu);
            var other = new Denser(10);
            Tensor y = model.Predict(x);
            float[] pixels = Decode("seven.png");
            KerasFormat.LoadModell("m.keras");
            """);
        var fine = new DocsSnippet("docs/example.md", 20, """
            var dense = new Dense(10, activation: ActivationFunction.Relu);
            Tensor y = model.Predict(x);
            float[] pixels = Decode("seven.png");
            int[] labels = ...;
            """);
        MetadataReference types = SnippetCompiler.DocsTypes([]);

        IReadOnlyList<string> errors = SnippetCompiler.Errors(stale, types);

        Assert.Contains(errors, e => e.StartsWith("1 (var dense = new Dense(10, activaton: ActivationFunction.Relu);): CS1739", StringComparison.Ordinal) && e.Contains("activaton", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("2 (var other = new Denser(10);): CS0246", StringComparison.Ordinal) && e.Contains("Denser", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("5 (KerasFormat.LoadModell(\"m.keras\");): CS0117", StringComparison.Ordinal) && e.Contains("LoadModell", StringComparison.Ordinal));
        Assert.Equal(3, errors.Count);
        Assert.Empty(SnippetCompiler.Errors(fine, types));
    }

    [Fact]
    public void Blocks_are_read_from_indented_fences_with_their_reasons()
    {
        string markdown = "text\n```csharp\nvar a = 1;\n```\n- item\n  <!-- not compiled: signatures only -->\n  ```csharp\n  void F();\n  ```\n```python\nx = 1\n```\n";

        DocsSnippet[] blocks = [.. DocsSnippet.Blocks("p.md", markdown)];

        Assert.Equal(2, blocks.Length);
        Assert.Equal(("p.md:3", "var a = 1;", (string?)null), (blocks[0].ToString(), blocks[0].Code, blocks[0].NotCompiledReason));
        Assert.Equal(("p.md:8", "void F();", (string?)"signatures only"), (blocks[1].ToString(), blocks[1].Code, blocks[1].NotCompiledReason));
    }
}
