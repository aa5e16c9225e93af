using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Models;

/// <summary>
/// Keras 3's <c>Functional._adjust_input_rank</c>: one value per sample, (n), is read as (n, 1) for an input of shape (1)
/// (a Keras user's <c>Input(shape=(1,))</c> fed a column of a data frame), and (n, ..., 1) as (n, ...) for an input without
/// that last axis; anything else is refused naming the input as it was given (x['color'] for a dictionary).
/// </summary>
public class InputRankAdjustTests
{
    private const int Samples = 6;

    [Fact]
    public void Predict_DictionaryOfRankOneColumnsForOneWideInputs_EqualsTheColumns()
    {
        Functional model = WideModel();
        (Dictionary<string, Tensor> flat, Dictionary<string, Tensor> columns) = Data();

        float[] fromFlat = model.Predict(flat, batchSize: 4).ToArray();
        float[] fromColumns = model.Predict(columns, batchSize: 4).ToArray();

        Assert.Equal(fromColumns, fromFlat);
        Assert.Equal(model.PredictOnBatch(columns).ToArray(), model.PredictOnBatch(flat).ToArray());
        Assert.Equal(fromColumns, model.PredictOutputs(flat)[0].ToArray());

        // The caller's tensors keep their shape: the model read them through views.
        Assert.Equal(new TensorShape(Samples), flat["color"].Shape);
    }

    [Fact]
    public void Fit_EvaluateAndBatchMethods_WithRankOneColumns_TakeTheSameStepsAsWithColumns()
    {
        (Dictionary<string, Tensor> flat, Dictionary<string, Tensor> columns) = Data();
        Tensor y = Tensor.FromArray([0f, 1f, 1f, 0f, 1f, 0f], Samples);
        Functional byFlat = WideModel(), byColumns = WideModel();

        byFlat.Fit(flat, y, epochs: 2, batchSize: 4, shuffle: false, verbose: 0);
        byColumns.Fit(columns, y, epochs: 2, batchSize: 4, shuffle: false, verbose: 0);
        AssertSameWeights(byColumns, byFlat);
        Assert.Equal(byColumns.Evaluate(columns, y, verbose: 0)["loss"], byFlat.Evaluate(flat, y, verbose: 0)["loss"]);

        Assert.Equal(byColumns.TrainOnBatch(columns, y)["loss"], byFlat.TrainOnBatch(flat, y)["loss"]);
        AssertSameWeights(byColumns, byFlat);
        Assert.Equal(byColumns.TestOnBatch(columns, y)["loss"], byFlat.TestOnBatch(flat, y)["loss"]);
    }

    [Fact]
    public void Predict_IntoADestination_ReadsOneValuePerSampleAsAColumn()
    {
        var input = new Input(new TensorShape(1), "age");
        var model = new Functional(input, new Dense(2).Call(input), seed: 3);
        Tensor flat = Tensor.FromArray([0.5f, -1f, 2f], 3);
        var destination = new Tensor(3, 2);

        model.Predict(flat, destination);

        Assert.Equal(model.Predict(flat.Reshape(3, 1)).ToArray(), destination.ToArray());
    }

    [Fact]
    public void Predict_ExtraLastAxisOfOne_IsSqueezedAsKerasDoes()
    {
        var input = new Input(new TensorShape(4), "features");
        var model = new Functional(input, new Dense(3).Call(input), seed: 5);
        Tensor x = Tensor.RandomNormal(new TensorShape(Samples, 4), seed: 9);

        Assert.Equal(model.Predict(x).ToArray(), model.Predict(x.Reshape(Samples, 4, 1)).ToArray());
    }

    [Fact]
    public void Predict_EmptyBatchOfOneValuePerSample_GivesAnEmptyResult()
    {
        var input = new Input(new TensorShape(1), "age");
        var model = new Functional(input, new Dense(2).Call(input), seed: 3);

        Assert.Equal(new TensorShape(0, 2), model.Predict(new Tensor(0)).Shape);
    }

    [Fact]
    public void Predict_RankOneForAWiderInput_ThrowsNamingTheDictionaryKeyAndTheExpectedShape()
    {
        var color = new Input(new TensorShape(3), "color");
        var model = new Functional(color, new Dense(1).Call(color), name: "m");
        var x = new Dictionary<string, Tensor> { ["color"] = Tensor.FromArray([1f, 2f, 3f], 3) };

        var ex = Assert.Throws<ArgumentException>(() => model.Predict(x));

        Assert.Equal("x['color'] must have a batch axis first, (samples, ...), but has shape (3,); input 'color' of model 'm' expects (None, 3). (Parameter 'x')", ex.Message);
    }

    [Fact]
    public void Fit_DictionaryWithMismatchedSampleCounts_NamesTheKeysNotPositions()
    {
        Functional model = WideModel();
        (Dictionary<string, Tensor> flat, _) = Data();
        flat["age"] = Tensor.FromArray([1f, 2f], 2);
        float[] before = model.Parameters[0].Value.ToArray();

        var ex = Assert.Throws<ArgumentException>(() => model.Fit(flat, Tensor.Zeros(Samples), epochs: 1, verbose: 0));

        Assert.Contains("x['color'] has 6 samples (6, 1) but x['age'] has 2 (2, 1)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters[0].Value.ToArray());
    }

    [Fact]
    public void Fit_TargetDictionaryWithWrongSampleCount_NamesTheTargetKey()
    {
        Functional model = WideModel();
        (_, Dictionary<string, Tensor> columns) = Data();
        var y = new Dictionary<string, Tensor> { [model.OutputNames[0]] = Tensor.Zeros(Samples - 1) };

        var ex = Assert.Throws<ArgumentException>(() => model.Fit(columns, y, epochs: 1, verbose: 0));

        Assert.Contains($"y['{model.OutputNames[0]}'] has 5", ex.Message, StringComparison.Ordinal);
    }

    // Two one-wide inputs (a category index and a number) concatenated into a small classifier.
    private static Functional WideModel()
    {
        var color = new Input(new TensorShape(1), "color");
        var age = new Input(new TensorShape(1), "age");
        SymbolicTensor joined = new Concatenate().Call(new Flatten().Call(new Embedding(4, 2).Call(color)), age);
        SymbolicTensor output = new Dense(1, ActivationFunction.Sigmoid).Call(new Dense(4, ActivationFunction.Relu).Call(joined));
        var model = new Functional([color, age], output, name: "wide", seed: 21);
        model.Compile(new Adam(0.05f), new BinaryCrossEntropy());
        return model;
    }

    private static (Dictionary<string, Tensor> Flat, Dictionary<string, Tensor> Columns) Data()
    {
        float[] color = [0, 1, 2, 3, 1, 2];
        float[] age = [0.5f, -1f, 0.25f, 2f, -0.5f, 1f];
        return (
            new() { ["color"] = Tensor.FromArray(color, Samples), ["age"] = Tensor.FromArray(age, Samples) },
            new() { ["color"] = Tensor.FromArray(color, Samples, 1), ["age"] = Tensor.FromArray(age, Samples, 1) });
    }

    private static void AssertSameWeights(Model expected, Model actual)
    {
        for (int i = 0; i < expected.Parameters.Count; i++)
        {
            Assert.Equal(expected.Parameters[i].Value.ToArray(), actual.Parameters[i].Value.ToArray());
        }
    }
}
