using System.Diagnostics;
using System.Globalization;
using NeuralNet.Experiments;

// Usage: Experiments list
//        Experiments <E0.1 | E3 | all>... [--quick] [--seed N] [--out DIR] [--report FILE]
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("""
        Reproduces the experiments of ../shared/experiments.md.

          Experiments list                       list the experiments
          Experiments <ids|groups|all> [options] run E0.1, a group such as E3, or all
          Experiments report --out DIR --report FILE   rebuild the results table from stored results

        Options:
          --quick        a small subset and at most 2 epochs (smoke test, figures not comparable)
          --seed N       the seed of every run (default 1234)
          --out DIR      where histories (CSV, JSON), pictures (PNG) and results go (default results-out)
          --report FILE  the Markdown results table, built from every result in DIR (default DIR/results.md)
        """);
    return args.Length == 0 ? 1 : 0;
}

if (args[0] == "report")
{
    // Rebuild the Markdown table from results already stored (each carries its own commit, seed and machine): report --out DIR --report FILE
    string dir = ArgValue("--out") ?? "results-out";
    string file = ArgValue("--report") ?? Path.Combine(dir, "results.md");
    ResultsReport.Write(dir, file, CommandLine(), run: null);
    Console.WriteLine($"Wrote {file}");
    return 0;
}

if (args[0] == "list")
{
    foreach (Experiment e in Catalog.All)
    {
        Console.WriteLine($"{e.Id,-6} {e.Document,-24} {e.Title}");
    }

    return 0;
}

bool quick = false;
long seed = 1234;
string output = "results-out";
string? report = null;
var selectors = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick":
            quick = true;
            break;
        case "--seed":
            seed = long.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--out":
            output = args[++i];
            break;
        case "--report":
            report = args[++i];
            break;
        default:
            selectors.Add(args[i]);
            break;
    }
}

IReadOnlyList<Experiment> chosen;
try
{
    chosen = Catalog.Select(selectors.Count == 0 ? ["all"] : selectors);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

string reportPath = report ?? Path.Combine(output, "results.md");
// Captured before anything is written: the commit and whether the code differs from it (the run's own output aside).
Provenance provenance = Provenance.Capture(seed, quick, output, reportPath);
var ctx = new ExperimentContext(quick, seed, output, Console.Out);
var failed = new List<string>();
var total = Stopwatch.StartNew();
foreach (Experiment experiment in chosen)
{
    Console.WriteLine($"== {experiment.Id}: {experiment.Title}{(quick ? " (quick)" : "")}");
    // An earlier run's files go first: if this run fails, the report must not show them as its result.
    ResultsReport.Forget(output, experiment.Id);
    try
    {
        IReadOnlyList<ResultRow> rows = experiment.Run(ctx);
        ResultsReport.Store(ctx, experiment.Id, rows, provenance);
        foreach (ResultRow row in rows)
        {
            Console.WriteLine($"   {row.Setting}: documented {row.Documented} | ours {row.Ours}");
        }
    }
    catch (Exception e) when (e is not OutOfMemoryException)
    {
        failed.Add(experiment.Id);
        Console.Error.WriteLine($"   {experiment.Id} FAILED: {e}");
    }
}

ResultsReport.Write(output, reportPath, CommandLine(), new ResultsReport.RunSummary([.. chosen.Select(e => e.Id)], failed));
Console.WriteLine($"Done in {total.Elapsed.TotalSeconds:0.0} s: {chosen.Count - failed.Count} of {chosen.Count} experiments succeeded ({provenance.CommitText}). Results: {reportPath}");
return failed.Count == 0 ? 0 : 1;

// The command as typed, for the report's header.
string CommandLine() =>
    "dotnet run -c Release --project samples/Experiments -- " + string.Join(' ', args.Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"'{a}'" : a));

string? ArgValue(string name)
{
    int index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
