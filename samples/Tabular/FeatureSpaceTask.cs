using System.Globalization;
using NeuralNet.Data;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;

namespace NeuralNet.Samples.Tabular;

/// <summary>
/// Auto MPG again, the way Keras' "Structured data classification with FeatureSpace" tutorial prepares a table: the CSV
/// columns by name, their types inferred, one <see cref="FeatureSpace"/> that normalizes the measurements, one-hot
/// encodes cylinders, model year and origin and crosses origin with cylinders, in front of Dense(64) -> Dense(64) ->
/// Dense(1). Same rows for training, validation and test as the <c>regression</c> task.
/// </summary>
internal static class FeatureSpaceTask
{
    /// <summary>Trains, evaluates on the test rows, saves and reloads model and space; returns the test MAE and the mean-prediction baseline's.</summary>
    public static (double Mae, double BaselineMae) Run(bool quick, string outFolder, long seed = 42)
    {
        string csv = AutoMpgTask.EnsureCsv();

        // pandas' read_csv in the tutorial: every column by name, texts where a column holds text, numbers elsewhere.
        CsvData table = CsvTable.Read(csv, new CsvReadOptions { InferColumnTypes = true, LabelColumns = ["mpg"] });
        Console.WriteLine($"{csv}: {table.RowCount} rows; column types {string.Join(", ", table.ColumnTypes.Select(t => $"{t.Key} {t.Value}"))}");

        // The regression task's split (DataSplit's shuffle depends only on the row count and the seed), as row numbers.
        Tensor rowNumbers = Tensor.FromArray([.. Enumerable.Range(0, table.RowCount).Select(i => (float)i)], table.RowCount, 1);
        var (trainRows, validationRows, testRows) = DataSplit.TrainValidationTest([rowNumbers], validationFraction: 0.2, testFraction: 0.2, seed: seed);
        CsvData Select(Tensor[] numbers) => table.SelectRows([.. numbers[0].ToArray().Select(v => (int)v)]);
        CsvData train = Select(trainRows), validation = Select(validationRows), test = Select(testRows);

        var space = new FeatureSpace(new Dictionary<string, Feature>
        {
            ["cylinders"] = "integer_categorical",
            ["model_year"] = "integer_categorical",
            ["origin"] = "string_categorical",
            ["displacement"] = "float_normalized",
            ["horsepower"] = "float_normalized",
            ["weight"] = "float_normalized",
            ["acceleration"] = "float_normalized",
        },
        crosses: [FeatureSpace.Cross(["origin", "cylinders"], crossingDim: 16)]);
        IReadOnlyDictionary<string, FeatureColumn> trainColumns = train.ToFeatureColumns(), testColumns = test.ToFeatureColumns();
        space.Adapt(trainColumns); // means, variances and vocabularies from the training rows only
        Tensor xTrain = space.Transform(trainColumns);
        Tensor xValidation = space.Transform(validation.ToFeatureColumns());
        Tensor xTest = space.Transform(testColumns);
        Console.WriteLine($"FeatureSpace: {string.Join(", ", space.OutputNames)} -> {xTrain.Shape[1]} features per car");

        var model = new Sequential([new InputLayer(xTrain.Shape[1]), .. AutoMpgTask.Head()], name: "auto_mpg_feature_space", seed: seed);
        (double mae, double baseline) = AutoMpgTask.FitAndEvaluate(model, (xTrain, train.Labels!), (xValidation, validation.Labels!), (xTest, test.Labels!), quick, seed);

        // The space is saved beside the model: new cars go through the loaded space, then the loaded model.
        string spacePath = Path.Combine(outFolder, "auto-mpg-feature-space.safetensors");
        Directory.CreateDirectory(outFolder);
        space.Save(spacePath);
        Tensor reloaded = FeatureSpace.Load(spacePath).Transform(testColumns);
        if (!reloaded.AsReadOnlySpan().SequenceEqual(xTest.AsReadOnlySpan()))
        {
            throw new InvalidOperationException($"The FeatureSpace loaded from {spacePath} transforms differently from the one saved.");
        }

        Console.WriteLine($"FeatureSpace saved to {spacePath} and loaded back: the same {xTest.Shape[1]} features for the test cars");
        SavedModel.CheckReload(model, reloaded, Path.Combine(outFolder, "auto-mpg-feature-space-model.safetensors"));
        return (mae, baseline);
    }
}
