using System.Globalization;
using System.Text;
using System.Text.Json;
using NeuralNet.Activations;
using NeuralNet.Data;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;

namespace NeuralNet.Samples.Tabular;

/// <summary>
/// Regression on the Auto MPG table (cars of 1970-1982, StatLib; the table of Keras' "Basic regression: predict fuel
/// efficiency" tutorial): miles per gallon from cylinders, displacement, horsepower, weight, acceleration, model year and
/// origin (one-hot), by Normalization -> Dense(64) -> Dense(64) -> Dense(1), against predicting the training mean.
/// </summary>
internal static class AutoMpgTask
{
    /// <summary>
    /// <c>cars.json</c> of <c>vega-datasets</c> (BSD-3-Clause, the Vega project's example data): 406 cars as JSON
    /// objects, 8 of them without miles per gallon and 6 without horsepower.
    /// </summary>
    public static readonly NpmDataFile Source =
        new("vega-datasets@3.2.1", "package/data/cars.json", "f686a53678b21f4231e2f6a5ba7ce5761d9d39204fccdea1caa29fb8c460e319");

    /// <summary>The SHA-256 of the <c>auto-mpg.csv</c> that <see cref="ToCsv"/> writes from it.</summary>
    public const string CsvSha256 = "772fd4c5eebae635fc680d32a3bf9eeb7cebaf1f85d4660cabd288e601c5bea2";

    /// <summary>The columns of the CSV file, in order.</summary>
    public static readonly string[] Columns = ["name", "mpg", "cylinders", "displacement", "horsepower", "weight", "acceleration", "model_year", "origin"];

    // The keys of cars.json, one per CSV column.
    private static readonly string[] JsonKeys = ["Name", "Miles_per_Gallon", "Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration", "Year", "Origin"];

    /// <summary>The path of <c>auto-mpg.csv</c> in the data cache, fetched and written on first use.</summary>
    public static string EnsureCsv() => Source.EnsureCsv("auto-mpg", "auto-mpg.csv", CsvSha256, ToCsv);

    /// <summary>Trains, evaluates on the test rows, saves and reloads; returns the test MAE and the mean-prediction baseline's.</summary>
    public static (double Mae, double BaselineMae) Run(bool quick, string outFolder, long seed = 42)
    {
        string csv = EnsureCsv();

        // The target by name, the features chosen by name (not the car's name), the origin one-hot: Europe, Japan, USA.
        var options = new CsvReadOptions
        {
            LabelColumns = ["mpg"],
            FeatureColumns = ["cylinders", "displacement", "horsepower", "weight", "acceleration", "model_year", "origin"],
            CategoricalColumns = ["origin"],
            CategoricalEncoding = CategoricalEncoding.OneHot,
        };
        CsvData table = CsvTable.Read(csv, options);
        Console.WriteLine($"{csv}: {table.RowCount} rows; features {string.Join(", ", table.FeatureNames)}; target {table.LabelNames[0]}");

        var (train, validation, test) = DataSplit.TrainValidationTest([table.Features, table.Labels!], validationFraction: 0.2, testFraction: 0.2, seed: seed);
        Console.WriteLine($"{train[0].Shape[0]} training, {validation[0].Shape[0]} validation and {test[0].Shape[0]} test rows");

        // Weights in pounds and years near 1976 would swamp the one-hot columns: Normalization, adapted on the training
        // rows only, gives every feature mean 0 and variance 1 inside the model.
        var normalization = new Normalization();
        normalization.Adapt(train[0]);

        var model = new Sequential([new InputLayer(table.FeatureNames.Count), normalization, .. Head()], name: "auto_mpg", seed: seed);
        model.PrintSummary();
        (double mae, double baseline) = FitAndEvaluate(model, (train[0], train[1]), (validation[0], validation[1]), (test[0], test[1]), quick, seed);

        Tensor predictions = SavedModel.CheckReload(model, test[0], Path.Combine(outFolder, "auto-mpg.safetensors"));
        for (int i = 0; i < 5; i++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  test car {i}: predicted {predictions.AsReadOnlySpan()[i],5:0.0} mpg, actual {test[1].AsReadOnlySpan()[i],5:0.0}"));
        }

        return (mae, baseline);
    }

    /// <summary>The layers after the inputs' preparation: Dense(64, relu) -> Dense(64, relu) -> Dense(1), Keras' tutorial's.</summary>
    internal static Layer[] Head() => [new Dense(64, ActivationFunction.Relu), new Dense(64, ActivationFunction.Relu), new Dense(1)];

    /// <summary>
    /// Compiles (Adam 1e-3, MSE, MAE), trains with early stopping on the validation loss, evaluates on the test rows and
    /// prints the test MAE beside the baseline's (always predicting the training mean); returns both.
    /// </summary>
    internal static (double Mae, double BaselineMae) FitAndEvaluate(Sequential model, (Tensor X, Tensor Y) train, (Tensor X, Tensor Y) validation, (Tensor X, Tensor Y) test, bool quick, long seed)
    {
        model.Compile(new Adam(0.001f), new MeanSquaredError(), new MeanAbsoluteErrorMetric());
        int epochs = quick ? 5 : 1000;
        var stop = new EarlyStopping(monitor: "val_loss", patience: 50, restoreBestWeights: true);
        History history = model.Fit(train.X, train.Y, epochs: epochs, batchSize: 32, validationData: (validation.X, validation.Y),
            callbacks: [stop, Progress.EveryNthEpoch(quick ? 1 : 50)], verbose: 0, seed: seed);
        Progress.Stopped(history, stop);

        IReadOnlyDictionary<string, double> result = model.Evaluate(test.X, test.Y, verbose: 0);
        double mae = result["mean_absolute_error"];

        // The baseline a model has to beat: always predict the training rows' mean.
        float mean = train.Y.AsReadOnlySpan().ToArray().Average();
        double baseline = test.Y.AsReadOnlySpan().ToArray().Average(y => Math.Abs(y - mean));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Test MAE {mae:0.000} mpg (MSE {result["loss"]:0.00}); always predicting the training mean {mean:0.00} mpg: MAE {baseline:0.000} mpg"));
        return (mae, baseline);
    }

    /// <summary>
    /// The JSON objects to the CSV file a user would have: one row per car with every value, numbers written as in the
    /// JSON, the model year as a number (1970, not "1970-01-01"). The 14 cars lacking miles per gallon or horsepower are
    /// left out, as the Keras tutorial drops them (<c>dropna</c>): <c>CsvTable</c> refuses a missing value.
    /// </summary>
    internal static string ToCsv(byte[] json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        var csv = new StringBuilder().AppendJoin(',', Columns).Append('\n');
        foreach (JsonElement car in document.RootElement.EnumerateArray())
        {
            JsonElement[] values = [.. JsonKeys.Select(k => car.GetProperty(k))];
            if (values.Any(v => v.ValueKind == JsonValueKind.Null))
            {
                continue;
            }

            string year = values[7].GetString()!;
            csv.Append(Quoted(values[0].GetString()!))
                .Append(',').AppendJoin(',', values[1..7].Select(v => v.GetRawText()))
                .Append(',').Append(year.AsSpan(0, year.IndexOf('-', StringComparison.Ordinal)))
                .Append(',').Append(Quoted(values[8].GetString()!))
                .Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>A CSV field: quoted (with doubled quotes) when it holds a separator, a quote or a line break.</summary>
    private static string Quoted(string text) =>
        text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
}
