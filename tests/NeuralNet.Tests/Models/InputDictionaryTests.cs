using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Models;

// Keras' model.predict({"a": xa, "b": xb}): inputs by name in Predict, PredictOutputs, Evaluate, Fit and data sources.
public class InputDictionaryTests
{
    private static (Tensor A, Tensor B, Tensor Pair, Tensor First) Data() => FunctionalTests.SiameseData(8, 1);

    [Fact]
    public void PredictOutputs_ByNameInAnyOrder_SameAsInOrder()
    {
        var model = FunctionalTests.Siamese();
        (Tensor a, Tensor b, _, _) = Data();
        IReadOnlyList<Tensor> inOrder = model.PredictOutputs([a, b]);
        IReadOnlyList<Tensor> byName = model.PredictOutputs(new Dictionary<string, Tensor> { ["b"] = b, ["a"] = a });
        IReadOnlyList<Tensor> fromSource = model.PredictOutputs(DataSource.FromBatches(new[] { new DataBatch(new Dictionary<string, Tensor> { ["b"] = b, ["a"] = a }) }));

        Assert.Equal(inOrder[0].ToArray(), byName[0].ToArray());
        Assert.Equal(inOrder[1].ToArray(), byName[1].ToArray());
        Assert.Equal(inOrder[0].ToArray(), fromSource[0].ToArray());
        Assert.NotEqual(inOrder[0].ToArray(), model.PredictOutputs([b, a])[0].ToArray());
    }

    [Fact]
    public void EvaluateAndFit_ByName_SameAsInOrder()
    {
        (Tensor a, Tensor b, Tensor pair, Tensor first) = Data();
        var inOrder = FunctionalTests.Siamese();
        var byName = FunctionalTests.Siamese();
        inOrder.Compile(new Sgd(0.1), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        byName.Compile(new Sgd(0.1), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        var x = new Dictionary<string, Tensor> { ["b"] = b, ["a"] = a };

        Assert.Equal(inOrder.Evaluate([a, b], [pair, first], verbose: 0)["loss"], byName.Evaluate(x, [pair, first], verbose: 0)["loss"]);
        inOrder.Fit([a, b], [pair, first], epochs: 2, batchSize: 4, verbose: 0, seed: 1);
        byName.Fit(x, new Dictionary<string, Tensor> { ["first"] = first, ["pair"] = pair }, epochs: 2, batchSize: 4, verbose: 0, seed: 1);

        Assert.Equal(inOrder.GetWeights().SelectMany(t => t.ToArray()), byName.GetWeights().SelectMany(t => t.ToArray()));
    }

    [Fact]
    public void Predict_UnknownOrMissingName_ThrowsNamingItAndTheModelInputs()
    {
        var model = FunctionalTests.Siamese();
        model.Compile(new Sgd(), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        (Tensor a, Tensor b, Tensor pair, Tensor first) = Data();

        var missing = Assert.Throws<ArgumentException>(() => model.PredictOutputs(new Dictionary<string, Tensor> { ["a"] = a }));
        Assert.Equal("No input tensor named 'b' was given; model 'siamese' expects 'a', 'b', and the dictionary has 'a'. (Parameter 'x')", missing.Message);
        var unknown = Assert.Throws<ArgumentException>(() => model.PredictOutputs(new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["c"] = b }));
        Assert.Equal("The input tensor 'c' matches no input of model 'siamese' ('a', 'b'). (Parameter 'x')", unknown.Message);
        var evaluate = Assert.Throws<ArgumentException>(() => model.Evaluate(new Dictionary<string, Tensor> { ["A"] = a, ["b"] = b }, [pair, first], verbose: 0));
        Assert.Contains("No input tensor named 'a' was given", evaluate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_SequentialByItsInputName_SameAsOneTensor()
    {
        var model = new Sequential([new InputLayer(new TensorShape(5), "features"), new Dense(3)], seed: 2);
        (Tensor a, _, _, _) = Data();
        Assert.Equal(model.Predict(a).ToArray(), model.Predict(new Dictionary<string, Tensor> { ["features"] = a }).ToArray());
        var e = Assert.Throws<ArgumentException>(() => model.Predict(new Dictionary<string, Tensor> { ["x"] = a }));
        Assert.Contains("expects 'features'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_UnbuiltSequentialByName_ThrowsSayingItHasNoInputNamesYet()
    {
        var model = new Sequential([new Dense(3)], name: "unbuilt");
        (Tensor a, _, _, _) = Data();
        var e = Assert.Throws<ArgumentException>(() => model.Predict(new Dictionary<string, Tensor> { ["features"] = a }));
        Assert.Contains("'features'", e.Message, StringComparison.Ordinal);
        Assert.Contains("Model 'unbuilt' is not built", e.Message, StringComparison.Ordinal);
        Assert.False(model.IsBuilt);
    }
}
