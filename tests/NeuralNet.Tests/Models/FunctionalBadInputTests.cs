using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Models;

/// <summary>Mistakes in building and feeding graphs fail where they are made, naming layers, inputs and shapes, and change nothing.</summary>
public class FunctionalBadInputTests
{
    [Fact]
    public void Create_InputNotConnectedToAnyOutput_ThrowsNamingTheInput()
    {
        var x1 = new Input(new TensorShape(4), "x1");
        var x2 = new Input(new TensorShape(4), "x2");
        SymbolicTensor y = new Dense(2).Call(x1);

        var ex = Assert.Throws<ArgumentException>(() => new Functional([x1, x2], [y], name: "m"));
        Assert.Contains("Input 'x2' is not connected to any output of model 'm'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_OutputDependsOnAnInputNotGiven_ThrowsDisconnectedAndNamesNothingNew()
    {
        var x1 = new Input(new TensorShape(4), "x1");
        var x2 = new Input(new TensorShape(4), "x2");
        var dense = new Dense(2);
        SymbolicTensor y = dense.Call(new Add().Call(x1, x2));

        var ex = Assert.Throws<ArgumentException>(() => new Functional(x1, y, name: "m"));
        Assert.Contains("depends on input 'x2', which is not among the model's inputs ('x1')", ex.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, dense.Name);
    }

    [Fact]
    public void Create_WrapperInnerLayerAlsoCalledDirectly_ThrowsNamingBoth()
    {
        // The inner Dense (the copy the wrapper runs) holds the wrapper's parameters: beside it, each weight would be
        // updated, penalised and saved twice.
        var wrapper = new TimeDistributed(new Dense(4, name: "cell"), name: "each");
        var sequence = new Input(new TensorShape(3, 8), "sequence");
        var row = new Input(new TensorShape(8), "row");
        SymbolicTensor first = wrapper.Call(sequence);
        SymbolicTensor[] outputs = [first, wrapper.InnerLayer.Call(row)];

        var ex = Assert.Throws<ArgumentException>(() => new Functional([sequence, row], outputs, name: "m"));
        Assert.Contains("Model 'm': layer 'cell' is the inner layer of 'each' and is also called on its own", ex.Message, StringComparison.Ordinal);
        Assert.Single(new Functional(sequence, outputs[0], name: "alone").Layers.OfType<TimeDistributed>());
    }

    [Fact]
    public void Call_InputLayerOnATensor_ThrowsNamingIt()
    {
        // Keras' InputLayer takes no tensors; such a graph saved but did not load.
        var x = new Input(new TensorShape(4), "x");
        var error = Assert.Throws<InvalidOperationException>(() => x.Layer.Call(x));
        Assert.Contains("starts a model and cannot be called on a tensor", error.Message, StringComparison.Ordinal);
        Assert.Single(x.Layer.Nodes);
        Assert.Equal(2, new Functional(x, new Dense(2).Call(x)).Predict(Tensor.Ones(1, 4)).Shape[1]);
    }

    // Keras 3 accepts an inner tensor as an input (clone_graph_nodes): a new Input takes its place (InnerInputsTests).
    [Fact]
    public void Create_InputThatIsALayerOutput_GetsANewInputInItsPlace()
    {
        var x = new Input(new TensorShape(4), "x");
        SymbolicTensor h = new Dense(3, name: "h").Call(x);
        var output = new Dense(2, name: "out");
        var model = new Functional(h, output.Call(h));

        Assert.Equal("hCLONE", model.Inputs[0].Layer.Name);
        Assert.Equal(new TensorShape(3), model.InputShape);
        Assert.Equal(["hCLONE", "out"], model.Layers.Select(l => l.Name));
        Assert.Equal(2, output.Nodes.Count);
    }

    [Fact]
    public void Create_InnerTensorGivenTwiceAsAnInput_ThrowsAndRecordsNoCall()
    {
        var x = new Input(new TensorShape(4), "x");
        SymbolicTensor h = new Dense(3, name: "h").Call(x);
        var output = new Dense(2, name: "out");
        SymbolicTensor y = output.Call(h);
        var ex = Assert.Throws<ArgumentException>(() => new Functional([h, h], y, name: "m"));
        Assert.Contains("Model 'm': SymbolicTensor (None, 3) from Dense 'h' is given twice as an input.", ex.Message, StringComparison.Ordinal);
        Assert.Single(output.Nodes);
    }

    [Fact]
    public void Create_TwoLayersWithOneName_Throws()
    {
        var x = new Input(new TensorShape(4), "x");
        SymbolicTensor y = new Dense(2, name: "same").Call(new Dense(3, name: "same").Call(x));
        var ex = Assert.Throws<ArgumentException>(() => new Functional(x, y, name: "m"));
        Assert.Contains("two different layers named 'same'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Call_AddOnDifferentShapes_ThrowsNamingLayerAndShapes()
    {
        var a = new Input(new TensorShape(32), "a");
        var b = new Input(new TensorShape(64), "b");
        var ex = Assert.Throws<ArgumentException>(() => new Add(name: "add").Call(a, b));
        Assert.Contains("Add 'add' cannot broadcast input 0 of shape (None, 32) with input 1 of shape (None, 64)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Call_ConcatenateWhereOtherAxesDiffer_ThrowsNamingTheShapes()
    {
        var a = new Input(new TensorShape(4, 8), "a");
        var b = new Input(new TensorShape(5, 8), "b");
        var ex = Assert.Throws<ArgumentException>(() => new Concatenate(name: "cat").Call(a, b));
        Assert.Contains("Concatenate 'cat' requires inputs with matching shapes except for the concatenation axis -1, but got (None, 4, 8) and (None, 5, 8)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Call_LayerReusedOnAnotherShape_ThrowsNamingBothShapes()
    {
        var dense = new Dense(2, name: "d");
        dense.Call(new Input(new TensorShape(4)));
        var ex = Assert.Throws<ArgumentException>(() => dense.Call(new Input(new TensorShape(5))));
        Assert.Contains("Dense 'd' was first called on (None, 4) and cannot be called on (None, 5)", ex.Message, StringComparison.Ordinal);
        Assert.Single(dense.Nodes);
    }

    [Fact]
    public void Call_WrongNumberOfInputs_Throws()
    {
        var x = new Input(new TensorShape(4));
        var ex = Assert.Throws<ArgumentException>(() => new Subtract(name: "s").Call(x, x, x));
        Assert.Contains("Subtract 's' takes exactly 2 input(s) but was given 3", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Dense(2).Call(x, x));
    }

    [Fact]
    public void Fit_WrongNumberOfInputArrays_ThrowsNamingTheInputsAndTrainsNothing()
    {
        Functional model = FunctionalTests.Siamese();
        model.Compile(new Sgd(), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        var (a, _, pair, first) = FunctionalTests.SiameseData(8, 1);
        float[] before = model.Parameters[0].Value.ToArray();

        var ex = Assert.Throws<ArgumentException>(() => model.Fit([a], [pair, first], verbose: 0));
        Assert.Contains("Model 'siamese' has 2 input(s) ('a', 'b') but 1 input tensor(s) were given", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters[0].Value.ToArray());
        Assert.Equal(0, model.Optimizer!.Iterations);
    }

    [Fact]
    public void Fit_WrongNumberOfTargets_ThrowsNamingTheOutputs()
    {
        Functional model = FunctionalTests.Siamese();
        model.Compile(new Sgd(), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        var (a, b, pair, _) = FunctionalTests.SiameseData(8, 1);
        var ex = Assert.Throws<ArgumentException>(() => model.Fit([a, b], pair, verbose: 0));
        Assert.Contains("has 2 target(s) ('pair', 'first') but 1 target tensor(s) were given", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_DictionaryWithUnknownOrMissingName_Throws()
    {
        Functional model = FunctionalTests.Siamese();
        model.Compile(new Sgd(), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        var (a, b, pair, first) = FunctionalTests.SiameseData(8, 1);
        var missing = Assert.Throws<ArgumentException>(() => model.Fit(new Dictionary<string, Tensor> { ["a"] = a }, [pair, first], verbose: 0));
        Assert.Contains("No input tensor named 'b' was given", missing.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ArgumentException>(() => model.Fit(new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["c"] = b }, [pair, first], verbose: 0));
        Assert.Contains("The input tensor 'c' matches no input of model 'siamese'", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_InputsWithDifferentSampleCounts_Throws()
    {
        Functional model = FunctionalTests.Siamese();
        model.Compile(new Sgd(), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        var (a, b, pair, first) = FunctionalTests.SiameseData(8, 1);
        var ex = Assert.Throws<ArgumentException>(() => model.Fit([a, b.Slice(0, 7)], [pair, first], verbose: 0));
        Assert.Contains("x[0] has 8 samples (8, 5) but x[1] has 7 (7, 5)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_InputOfTheWrongShape_ThrowsNamingTheInput()
    {
        Functional model = FunctionalTests.Siamese();
        model.Compile(new Sgd(), [new CategoricalCrossEntropy(), new MeanSquaredError()]);
        var (a, _, pair, first) = FunctionalTests.SiameseData(8, 1);
        var ex = Assert.Throws<ArgumentException>(() => model.Fit([a, new Tensor(8, 6)], [pair, first], verbose: 0));
        Assert.Contains("Input 'b' of model 'siamese' expects (None, 5) but got (None, 6)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_WrongNumberOfArraysOrSeveralOutputs_Throws()
    {
        Functional model = FunctionalTests.Siamese();
        var (a, b, _, _) = FunctionalTests.SiameseData(4, 1);
        Assert.Throws<ArgumentException>(() => model.PredictOutputs(a));
        var ex = Assert.Throws<InvalidOperationException>(() => model.Predict([a, b]));
        Assert.Contains("has 2 outputs; call PredictOutputs", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, model.PredictOutputs([a, b]).Count);
    }

    [Fact]
    public void Compile_FlatMetricsForTwoOutputs_ThrowsAskingForThemPerOutput()
    {
        Functional model = FunctionalTests.Siamese();
        var ex = Assert.Throws<ArgumentException>(() => model.Compile(new Sgd(), new MeanSquaredError(), new Accuracy()));
        Assert.Contains("give its metrics per output", ex.Message, StringComparison.Ordinal);
        Assert.False(model.IsCompiled);
    }

    [Fact]
    public void Compile_UnknownOutputNameOrReusedMetric_Throws()
    {
        Functional model = FunctionalTests.Siamese();
        var unknown = Assert.Throws<ArgumentException>(() => model.Compile(new Sgd(), new Dictionary<string, Loss> { ["nope"] = new MeanSquaredError() }));
        Assert.Contains("'nope' is not an output of model 'siamese'", unknown.Message, StringComparison.Ordinal);
        var accuracy = new Accuracy();
        var reused = Assert.Throws<ArgumentException>(() => model.Compile(new Sgd(), [new CategoricalCrossEntropy(), new MeanSquaredError()], metrics: [[accuracy], [accuracy]]));
        Assert.Contains("same accuracy metric instance is given twice", reused.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.Compile(new Sgd(), [new MeanSquaredError()]));
        Assert.False(model.IsCompiled);

        // Every output without a loss is Keras' compile(optimizer): the losses the layers add train the model (session 45).
        model.Compile(new Sgd(), [null, null]);
        Assert.Equal([null, null], model.Losses);
    }

    [Fact]
    public void Backward_GradientsThatDoNotMatchTheOutputs_Throw()
    {
        Functional model = FunctionalTests.Siamese();
        var (a, b, _, _) = FunctionalTests.SiameseData(4, 1);
        model.Forward([a, b], training: true);
        Assert.Throws<ArgumentException>(() => model.Backward(new Tensor(4, 2)));
        Assert.Throws<ArgumentException>(() => model.Backward([new Tensor(4, 3), new Tensor(4, 1)]));
    }

    [Fact]
    public void Create_ModelInputShapeTooLargeForAnArray_FailsWhenTheInputIsCreated()
    {
        Assert.Throws<ArgumentException>(() => new Input(new TensorShape(0)));
        Assert.ThrowsAny<ArgumentException>(() => new Input(65536, 65536));
        _ = ActivationFunction.Relu;
    }
}
