using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NeuralNet.Docs.Tests;

/// <summary>
/// Compiles a documentation snippet as a small program with top-level statements against the packages and the
/// framework, as a reader who pastes it into a project would: .NET's implicit usings and the packages' namespaces are
/// imported, the types other snippets declare (a custom layer defined on another page) are available, and what the
/// prose gives (a lowercase name no snippet declares, such as <c>model</c> or <c>x</c>, or a function of the reader's such
/// as <c>Decode(...)</c>) is declared: <c>model</c> a <c>Model</c>, <c>x</c> and <c>y</c> tensors, anything else
/// <c>dynamic</c>, so calls on those others are the one thing left unchecked.
/// </summary>
internal static class SnippetCompiler
{
    // A web app's page: Microsoft.NET.Sdk.Web's implicit usings, which its snippets rely on as a web project does.
    private static readonly Dictionary<string, string[]> PageUsings = new(StringComparer.Ordinal)
    {
        ["docs/serving.md"] = ["Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Http", "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting"],
    };

    private const string GlobalUsingsFile = "GlobalUsings.g.cs";

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> FrameworkAndPackages = new(LoadReferences);

    /// <summary>The namespaces every snippet sees: .NET's implicit usings and the packages' public namespaces.</summary>
    public static ImmutableArray<string> Usings { get; } = LoadUsings();

    /// <summary>
    /// The errors of <paramref name="snippet"/> compiled with <paramref name="docsTypes"/> (the other snippets' types),
    /// each as "line: CSxxxx message", with the snippet's line (1-based, within the block).
    /// </summary>
    public static IReadOnlyList<string> Errors(DocsSnippet snippet, MetadataReference docsTypes)
    {
        // "int[] truth = ...;": the docs' way of saying "yours"; any value of the declared type does.
        string code = snippet.Code.Replace("= ...;", "= default!;", StringComparison.Ordinal);
        CompilationUnitSyntax unit = Program(code);
        CSharpCompilation compilation = Compile(snippet, unit, docsTypes, []);
        string givens = string.Empty;
        IReadOnlyList<Diagnostic> errors = ErrorsOf(compilation);
        string[] givenNames = [.. errors.Where(IsGivenName).Select(d => NameIn(d)).Distinct()];
        string[] givenFunctions = [.. errors.Where(IsGivenFunction).Select(d => NameIn(d)).Distinct()];
        if (givenNames.Length + givenFunctions.Length > 0)
        {
            // Declared on the line of the snippet's first statement or type, so the snippet's own lines keep their numbers.
            givens = string.Concat(givenNames.Select(n => $"{GivenType(n)} {n} = null!; "));
            var parsed = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(code, ParseOptions).GetRoot();
            int at = parsed.Members.Count > 0 ? parsed.Members[0].SpanStart : code.Length;
            unit = Program(code.Insert(at, givens));
            errors = ErrorsOf(Compile(snippet, unit, docsTypes, givenFunctions));

            // What C# refuses to do with a dynamic value (a lambda or collection expression as its argument, named
            // arguments before positional ones, an extension method called with it) says nothing about the packages.
            errors = [.. errors.Where(d => d.Id is not ("CS1977" or "CS9176" or "CS8324" or "CS1973"))];
        }

        return [.. errors.Select(d => $"{Where(d, givens)}: {d.Id} {d.GetMessage()}")];
    }

    /// <summary>
    /// The types the snippets declare, compiled into one library every snippet references (the first declaration of a
    /// name wins: pages show the same example class twice, abridged the second time).
    /// </summary>
    /// <remarks>The library's own errors are those of the snippets that declare the types, which report them.</remarks>
    public static MetadataReference DocsTypes(IEnumerable<DocsSnippet> snippets)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var trees = new List<SyntaxTree>();
        foreach (DocsSnippet snippet in snippets)
        {
            CompilationUnitSyntax unit = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(snippet.Code, ParseOptions).GetRoot();
            MemberDeclarationSyntax[] types = [.. unit.Members.OfType<BaseTypeDeclarationSyntax>().Where(t => names.Add(t.Identifier.Text))];
            if (types.Length > 0)
            {
                trees.Add(SyntaxFactory.CompilationUnit().WithUsings(unit.Usings).WithMembers([.. types]).NormalizeWhitespace().SyntaxTree.WithFilePath(snippet.ToString()));
            }
        }

        return CSharpCompilation.Create("DocsTypes", [GlobalUsings([], []), .. trees], FrameworkAndPackages.Value, Options(OutputKind.DynamicallyLinkedLibrary)).ToMetadataReference();
    }

    // Top-level statements must come before types in a program; snippets often end with a type and sometimes begin with
    // one, so then the statements (and local functions) go first and the types after them, and the text is parsed again
    // (the parser's complaint stays with the nodes it saw out of order). Errors quote their line, as lines move then.
    private static CompilationUnitSyntax Program(string code)
    {
        var unit = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(code, ParseOptions).GetRoot();
        if (unit.Members.SkipWhile(m => m is GlobalStatementSyntax).Any(m => m is GlobalStatementSyntax))
        {
            string reordered = unit.WithMembers([.. unit.Members.OrderBy(m => m is GlobalStatementSyntax ? 0 : 1).Select(m => m.WithTrailingTrivia(m.GetTrailingTrivia().Add(SyntaxFactory.EndOfLine("\n"))))]).ToFullString();
            unit = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(reordered, ParseOptions).GetRoot();
        }

        return unit;
    }

    private static CSharpCompilation Compile(DocsSnippet snippet, CompilationUnitSyntax unit, MetadataReference docsTypes, string[] givenFunctions)
    {
        bool hasStatements = unit.Members.Any(m => m is GlobalStatementSyntax);
        string[] pageUsings = PageUsings.GetValueOrDefault(snippet.File, []);
        return CSharpCompilation.Create(
            "Snippet",
            [GlobalUsings(pageUsings, givenFunctions), unit.SyntaxTree.WithRootAndOptions(unit, ParseOptions).WithFilePath(snippet.ToString())],
            [.. FrameworkAndPackages.Value, docsTypes],
            Options(hasStatements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary));
    }

    // A project's implicit usings file: "global using X;" for each namespace every snippet sees and the page's own, and
    // the reader's functions the snippet calls, in a static class every type of the snippet sees too.
    private static SyntaxTree GlobalUsings(string[] pageUsings, string[] givenFunctions) =>
        CSharpSyntaxTree.ParseText(
            string.Concat(Usings.Concat(pageUsings).Select(n => $"global using {n};\n"))
            + "global using static ReadersFunctions;\n"
            + $"static class ReadersFunctions {{ {string.Concat(givenFunctions.Select(f => $"public static dynamic {f}(params object?[] _) => null!; "))}}}\n",
            ParseOptions,
            path: GlobalUsingsFile);

    private static CSharpCompilationOptions Options(OutputKind kind) =>
        new(kind, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true);

    private static IReadOnlyList<Diagnostic> ErrorsOf(CSharpCompilation compilation) =>
        [.. compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)];

    // The names the pages always use for the same thing get its type, so calls on them are checked too; other names the
    // prose gives are dynamic.
    private static string GivenType(string name) => name switch
    {
        "model" => "NeuralNet.Models.Model",
        "x" or "y" or "xTrain" or "yTrain" or "xTest" or "yTest" or "images" => "NeuralNet.Tensor",
        _ => "dynamic",
    };

    // CS0103 "The name 'x' does not exist in the current context" for a lowercase name: a variable the prose speaks of.
    // A PascalCase one is a type or static class the packages do not have, which is what the test is for.
    private static bool IsGivenName(Diagnostic error) =>
        error.Id == "CS0103" && NameIn(error) is { Length: > 0 } name && (char.IsLower(name[0]) || name[0] == '_') && !IsCalled(error);

    // CS0103 for a PascalCase name called directly, Decode(...): a function of the reader's (a static class is never
    // called, only its members).
    private static bool IsGivenFunction(Diagnostic error) => error.Id == "CS0103" && IsCalled(error);

    private static bool IsCalled(Diagnostic error) =>
        error.Location.SourceTree?.GetRoot().FindNode(error.Location.SourceSpan) is IdentifierNameSyntax identifier
        && identifier.Parent is InvocationExpressionSyntax invocation && invocation.Expression == identifier;

    // The line within the block and its text (without the givens declared on it), or the generated file's name when the
    // error is there.
    private static string Where(Diagnostic error, string givens)
    {
        if (error.Location.SourceTree is not { } tree || tree.FilePath == GlobalUsingsFile)
        {
            return GlobalUsingsFile;
        }

        int line = error.Location.GetLineSpan().StartLinePosition.Line;
        string text = tree.GetText().Lines[line].ToString();
        return $"{line + 1} ({(givens.Length > 0 ? text.Replace(givens, string.Empty, StringComparison.Ordinal) : text).Trim()})";
    }

    private static string NameIn(Diagnostic error) => error.GetMessage().Split('\'') is [_, var name, ..] ? name : string.Empty;

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string trusted = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string
            ?? throw new InvalidOperationException("The runtime gives no TRUSTED_PLATFORM_ASSEMBLIES to compile the snippets against.");
        return [.. trusted.Split(Path.PathSeparator).Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    private static ImmutableArray<string> LoadUsings()
    {
        string[] implicitUsings = ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];
        Assembly[] packages =
        [
            typeof(Tensor).Assembly,
            typeof(NeuralNet.Data.CsvTable).Assembly,
            typeof(NeuralNet.Keras.KerasFormat).Assembly,
            typeof(NeuralNet.Onnx.OnnxExporter).Assembly,
            typeof(NeuralNet.Plotting.ModelPlot).Assembly,
            typeof(NeuralNet.Training.TensorBoard).Assembly,
        ];
        IEnumerable<string> namespaces = packages.SelectMany(a => a.GetExportedTypes()).Select(t => t.Namespace).OfType<string>()
            .Where(n => n.StartsWith("NeuralNet", StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal);
        return [.. implicitUsings, .. namespaces];
    }
}
