using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Layers;

// Keras' layer.get_weights() / set_weights() (the serialization guide's layer_2.set_weights(layer_1.get_weights())).
public class LayerWeightsTests
{
    private static Dense BuiltDense(long seed)
    {
        var dense = new Dense(3) { Seed = seed };
        dense.Build(new TensorShape(4));
        return dense;
    }

    [Fact]
    public void GetWeights_Dense_KernelThenBiasAsCopies()
    {
        Dense dense = BuiltDense(1);

        IReadOnlyList<Tensor> weights = dense.GetWeights();

        Assert.Equal(2, weights.Count);
        Assert.Equal(new TensorShape(4, 3), weights[0].Shape);
        Assert.Equal(new TensorShape(3), weights[1].Shape);
        Assert.Equal(dense.Kernel.Value.ToArray(), weights[0].ToArray());
        weights[0].AsSpan()[0] += 1;
        Assert.NotEqual(dense.Kernel.Value[0, 0], weights[0][0, 0]);
    }

    [Fact]
    public void GetWeights_BatchNormalization_KerasOrder()
    {
        var layer = new BatchNormalization();
        layer.Build(new TensorShape(5));

        IReadOnlyList<Tensor> weights = layer.GetWeights();

        Assert.Equal(["gamma", "beta", "moving_mean", "moving_variance"], layer.Parameters.Select(p => p.Name));
        Assert.Equal(4, weights.Count);
        Assert.Equal(Enumerable.Repeat(1f, 5), weights[0].ToArray());
        Assert.Equal(Enumerable.Repeat(0f, 5), weights[1].ToArray());
        Assert.Equal(Enumerable.Repeat(0f, 5), weights[2].ToArray());
        Assert.Equal(Enumerable.Repeat(1f, 5), weights[3].ToArray());
    }

    [Fact]
    public void GetWeights_Unbuilt_Empty()
    {
        Assert.Empty(new Dense(3).GetWeights());
    }

    [Fact]
    public void SetWeights_OtherLayersWeights_SameOutputs()
    {
        Dense first = BuiltDense(1), second = BuiltDense(2);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 4), seed: 3);
        Assert.NotEqual(first.Forward(x, training: false).ToArray(), second.Forward(x, training: false).ToArray());

        second.SetWeights(first.GetWeights());

        Assert.Equal(first.Forward(x, training: false).ToArray(), second.Forward(x, training: false).ToArray());
    }

    [Fact]
    public void SetWeights_WrongShape_NamesLayerWeightAndShapesAndChangesNothing()
    {
        Dense dense = BuiltDense(1);
        float[] kernel = dense.Kernel.Value.ToArray();
        Tensor[] weights = [Tensor.Ones(4, 3), Tensor.Ones(2)];

        var e = Assert.Throws<ArgumentException>(() => dense.SetWeights(weights));

        Assert.Contains("Dense", e.Message, StringComparison.Ordinal);
        Assert.Contains("'bias'", e.Message, StringComparison.Ordinal);
        Assert.Contains(new TensorShape(3).ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains(new TensorShape(2).ToString(), e.Message, StringComparison.Ordinal);
        Assert.Equal(kernel, dense.Kernel.Value.ToArray());
    }

    [Fact]
    public void SetWeights_WrongCount_NamesLayerAndCounts()
    {
        Dense dense = BuiltDense(1);
        float[] kernel = dense.Kernel.Value.ToArray();

        var e = Assert.Throws<ArgumentException>(() => dense.SetWeights([Tensor.Ones(4, 3)]));

        Assert.Contains("has 2 weight tensors but 1 were given", e.Message, StringComparison.Ordinal);
        Assert.Contains("kernel", e.Message, StringComparison.Ordinal);
        Assert.Equal(kernel, dense.Kernel.Value.ToArray());
    }

    [Fact]
    public void SetWeights_Unbuilt_SaysToBuildFirst()
    {
        var e = Assert.Throws<ArgumentException>(() => new Dense(3).SetWeights([Tensor.Ones(4, 3), Tensor.Ones(3)]));

        Assert.Contains("until it is built", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetWeights_LayersOfModel_ConcatenateToModelGetWeights()
    {
        var model = new Sequential([new InputLayer(4), new Dense(3), new BatchNormalization(), new Dense(2)], seed: 5);

        float[][] fromLayers = [.. model.Layers.SelectMany(l => l.GetWeights()).Select(t => t.ToArray())];
        float[][] fromModel = [.. model.GetWeights().Select(t => t.ToArray())];

        Assert.Equal(fromModel, fromLayers);
    }

    [Fact]
    public void SetWeights_BeforeModelSeedsLayer_ValuesKept()
    {
        var dense = new Dense(2);
        var input = new Input(3);
        SymbolicTensor output = dense.Call(input);
        Tensor[] weights = [Tensor.Filled(0.5f, 3, 2), Tensor.Filled(0.25f, 2)];

        dense.SetWeights(weights);
        var model = new Functional(input, output);

        Assert.Equal(Enumerable.Repeat(0.5f, 6), model.GetWeights()[0].ToArray());
        Assert.Equal(Enumerable.Repeat(0.25f, 2), model.GetWeights()[1].ToArray());
    }
}
