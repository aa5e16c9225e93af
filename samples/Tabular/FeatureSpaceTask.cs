using System.Globalization;
using NeuralNet.Activations;
using NeuralNet.Data;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Preprocessing;
using NeuralNet.Training;

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

        // The regression task's split (same fractions and seed over the same rows), taken as row numbers.
        Tensor rowNumbers = Tensor.FromArray([.. Enumerable.Range(0, table.RowCount).Select(i => (float)i)], table.RowCount, 1);
        var (train, validation, test) = DataSplit.TrainValidationTest([rowNumbers, table.Labels!], validationFraction: 0.2, testFraction: 0.2, seed: seed);
        static int[] Rows(Tensor numbers) => [.. numbers.ToArray().Select(v => (int)v)];

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
        IReadOnlyDictionary<string, FeatureColumn> trainColumns = table.ToFeatureColumns(Rows(train[0]));
        space.Adapt(trainColumns); // means, variances and vocabularies from the training rows only
        Tensor xTrain = space.Transform(trainColumns);
        Tensor xValidation = space.Transform(table.ToFeatureColumns(Rows(validation[0])));
        Tensor xTest = space.Transform(table.ToFeatureColumns(Rows(test[0])));
        Console.WriteLine($"FeatureSpace: {string.Join(", ", space.OutputNames)} -> {xTrain.Shape[1]} features per car");

        var model = new Sequential(
        [
            new InputLayer(xTrain.Shape[1]),
            new Dense(64, ActivationFunction.Relu),
            new Dense(64, ActivationFunction.Relu),
            new Dense(1),
        ], name: "auto_mpg_feature_space", seed: seed);
        model.Compile(new Adam(0.001f), new MeanSquaredError(), new MeanAbsoluteErrorMetric());

        int epochs = quick ? 5 : 1000;
        var stop = new EarlyStopping(monitor: "val_loss", patience: 50, restoreBestWeights: true);
        History history = model.Fit(xTrain, train[1], epochs: epochs, batchSize: 32, validationData: (xValidation, validation[1]),
            callbacks: [stop, Progress.EveryNthEpoch(quick ? 1 : 50)], verbose: 0, seed: seed);
        Progress.Stopped(history, stop);

        double mae = model.Evaluate(xTest, test[1], verbose: 0)["mean_absolute_error"];
        float mean = train[1].AsReadOnlySpan().ToArray().Average();
        double baseline = test[1].AsReadOnlySpan().ToArray().Average(y => Math.Abs(y - mean));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Test MAE {mae:0.000} mpg; always predicting the training mean: MAE {baseline:0.000} mpg"));

        // The space is saved beside the model: new cars go through the loaded space, then the loaded model.
        string spacePath = Path.Combine(outFolder, "auto-mpg-feature-space.safetensors");
        Directory.CreateDirectory(outFolder);
        space.Save(spacePath);
        Tensor reloaded = FeatureSpace.Load(spacePath).Transform(table.ToFeatureColumns(Rows(test[0])));
        if (!reloaded.AsReadOnlySpan().SequenceEqual(xTest.AsReadOnlySpan()))
        {
            throw new InvalidOperationException($"The FeatureSpace loaded from {spacePath} transforms differently from the one saved.");
        }

        Console.WriteLine($"FeatureSpace saved to {spacePath} and loaded back: the same {xTest.Shape[1]} features for the test cars");
        SavedModel.CheckReload(model, reloaded, Path.Combine(outFolder, "auto-mpg-feature-space-model.safetensors"));
        return (mae, baseline);
    }
}
