using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Models;

// Keras' model.get_layer, layer.output / layer.input (feature extraction from a trained model) and Sequential.pop.
public class LayerAccessTests
{
    private static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    private static Sequential Mlp() => new(
        [new InputLayer(6), new Dense(5, ActivationFunction.Relu), new Dense(4, ActivationFunction.Tanh, name: "features"), new Dense(2, ActivationFunction.Softmax)],
        name: "mlp",
        seed: 1);

    [Fact]
    public void GetLayer_ByNameAndIndex_ReturnsTheLayer()
    {
        Sequential model = Mlp();

        Assert.Same(model.Layers[2], model.GetLayer("features"));
        Assert.Same(model.Layers[1], model.GetLayer("dense"));
        Assert.Same(model.Layers[3], model.GetLayer(3));
    }

    [Fact]
    public void GetLayer_UnknownNameOrIndex_ThrowsListingWhatTheModelHas()
    {
        Sequential model = Mlp();

        var e = Assert.Throws<ArgumentException>(() => model.GetLayer("conv2d"));
        Assert.Contains("Model 'mlp' has no layer named 'conv2d'; its layers are 'input_layer', 'dense', 'features', 'dense_1'.", e.Message);
        var r = Assert.Throws<ArgumentOutOfRangeException>(() => model.GetLayer(4));
        Assert.Contains("Model 'mlp' has 4 layer(s), numbered from 0.", r.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.GetLayer(-1));
    }

    [Fact]
    public void Output_OfAModelsLayer_MakesAFeatureExtractorSharingTheWeights()
    {
        Sequential model = Mlp();
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 6), 2);

        var extractor = new Functional(model.Inputs, [model.GetLayer("features").Output], name: "extractor");

        // The features by hand: relu(x W1 + b1), then tanh(h W2 + b2).
        Dense first = (Dense)model.Layers[1], features = (Dense)model.Layers[2];
        Tensor expected = features.Forward(first.Forward(x, training: false), training: false);
        Assert.Equal(Bits(expected), Bits(extractor.Predict(x)));
        Assert.Same(features.Kernel, extractor.Parameters[2]);
    }

    [Fact]
    public void Output_LayerNeverCalled_ThrowsSayingSo()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new Dense(3, name: "lonely").Output);
        Assert.Contains("Dense 'lonely' has not been called on a symbolic tensor yet", e.Message);
    }

    [Fact]
    public void Outputs_OfAnLstmWithReturnState_AreItsThreeOutputsAsKerasLayerOutputLists()
    {
        // Keras' lstm_seq2seq inference recipe: encoder_outputs, state_h, state_c = model.layers[2].output.
        var tokens = new Input(new TensorShape(5, 3), "tokens");
        var lstm = new Lstm(4, returnSequences: true, name: "encoder") { ReturnState = true };
        SymbolicTensor[] called = lstm.CallOutputs(tokens);
        var model = new Functional(tokens, called, name: "seq2seq", seed: 7);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 5, 3), 4);

        IReadOnlyList<SymbolicTensor> outputs = model.GetLayer("encoder").Outputs;

        Assert.Equal(called, outputs);
        Assert.Equal(["(None, 5, 4)", "(None, 4)", "(None, 4)"], outputs.Select(t => t.BatchString));
        var states = new Functional(model.Inputs, [outputs[1], outputs[2]], name: "states");
        IReadOnlyList<Tensor> expected = model.PredictOutputs(x);
        IReadOnlyList<Tensor> actual = states.PredictOutputs(x);
        Assert.Equal(Bits(expected[1]), Bits(actual[0]));
        Assert.Equal(Bits(expected[2]), Bits(actual[1]));
        Assert.Same(tokens, Assert.Single(lstm.Inputs));
    }

    [Fact]
    public void Output_OfALayerWithSeveralOutputs_ThrowsPointingAtOutputs()
    {
        var tokens = new Input(new TensorShape(5, 3), "tokens");
        var lstm = new Lstm(4, name: "encoder") { ReturnState = true };
        lstm.CallOutputs(tokens);

        var e = Assert.Throws<InvalidOperationException>(() => lstm.Output);

        Assert.Contains("'encoder' gives 3 outputs per call ((None, 4), (None, 4), (None, 4)); read Outputs, Outputs[0] for the first.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InputsAndOutputs_OfSingleOutputAndMergeLayers_AreTheFirstCallsTensors()
    {
        var a = new Input(new TensorShape(3), "a");
        var b = new Input(new TensorShape(2), "b");
        var concatenate = new Concatenate();
        SymbolicTensor joined = concatenate.Call(a, b);
        var dense = new Dense(1);
        SymbolicTensor y = dense.Call(joined);
        dense.Call(new Input(new TensorShape(5)));

        Assert.Equal([a, b], concatenate.Inputs);
        Assert.Same(joined, Assert.Single(concatenate.Outputs));
        Assert.Same(joined, concatenate.Output);
        Assert.Same(y, dense.Output);
        Assert.Same(joined, Assert.Single(dense.Inputs));
        Assert.Empty(a.Layer.Inputs);
        Assert.Same(a, Assert.Single(a.Layer.Outputs));
        Assert.Contains("has not been called on a symbolic tensor yet, so it has no inputs", Assert.Throws<InvalidOperationException>(() => new Dense(2).Inputs).Message, StringComparison.Ordinal);
        Assert.Contains("so it has no outputs", Assert.Throws<InvalidOperationException>(() => new Dense(2).Outputs).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pop_LastLayer_RebuildsTheModelWithoutIt()
    {
        Sequential model = Mlp();
        Layer last = model.Layers[3];
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 6), 3);

        Layer popped = model.Pop();

        Assert.Same(last, popped);
        Assert.Equal(3, model.Layers.Count);
        Assert.Equal(new TensorShape(4), model.OutputShape);
        Assert.Equal(["features"], model.OutputNames);
        Assert.Equal(4, model.Parameters.Count);

        // A new head goes where the old one was.
        model.Add(new Dense(3, ActivationFunction.Softmax, name: "new_head"));
        Assert.Equal(new TensorShape(3), model.Predict(x).Shape.DropFirst());
    }

    [Fact]
    public void Pop_LayerOfAModelMadeFromTheOutputs_KeepsThatModelWorking()
    {
        // Keras keeps a popped layer's calls: a model made from the old outputs still runs, saves and loads.
        Sequential model = Mlp();
        var whole = new Functional(model.Inputs, model.Outputs, name: "whole");
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 6), 5);
        int[] before = Bits(whole.Predict(x));

        Layer popped = model.Pop();

        Assert.Equal(before, Bits(whole.Predict(x)));
        Assert.Same(whole.Outputs[0], popped.Output);
        string path = Path.Combine(Path.GetTempPath(), $"pop-{Guid.NewGuid():N}.safetensors");
        try
        {
            whole.Save(path);
            Assert.Equal(before, Bits(Model.Load(path).Predict(x)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Pop_DownToTheInputLayer_ThenRefuses()
    {
        Sequential model = Mlp();
        model.Pop();
        model.Pop();
        model.Pop();

        Assert.Single(model.Layers);
        Assert.True(model.IsBuilt);
        var e = Assert.Throws<InvalidOperationException>(() => model.Pop());
        Assert.Contains("Model 'mlp' has no layer to remove.", e.Message);
    }

    [Fact]
    public void Pop_OnlyLayerOfAModelBuiltFromData_LeavesItUnbuilt()
    {
        var model = new Sequential([new Dense(2)], name: "small");
        model.Predict(Tensor.RandomNormal(new TensorShape(2, 3), 4));
        Assert.True(model.IsBuilt);

        model.Pop();

        Assert.False(model.IsBuilt);
        Assert.Empty(model.Layers);
        Assert.Throws<InvalidOperationException>(() => model.Pop());
    }
}
