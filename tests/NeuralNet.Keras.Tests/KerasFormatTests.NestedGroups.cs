using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Keras' load_weights on a Keras 2 file matches groups with weights to layers with weights by order, and lists a nested
// model as one layer (legacy_h5_format.load_weights_from_hdf5_group, _legacy_weights: its trainable weights, layer by
// layer, then its others). A NeuralNet model runs the nested model's layers as its own: the group takes them.
public sealed partial class KerasFormatTests
{
    [H5pyFact]
    public void LoadWeights_Keras2FileWithNestedModelGroup_GivesItsWeightsToTheConsecutiveLayersInKerasOrder()
    {
        // Keras: input -> base (Dense 3 relu, BatchNormalization, Dense 2) -> Dense 1 sigmoid; the file's "base" group holds
        // dense's and dense_1's kernel and bias and the normalization's gamma and beta, then its moving statistics.
        var input = new Input(new TensorShape(4));
        SymbolicTensor h = new BatchNormalization(name: "batch_normalization").Call(new Dense(3, ActivationFunction.Relu, name: "dense").Call(input));
        h = new Dense(2, name: "dense_1").Call(h);
        var reference = new Functional(input, new Dense(1, ActivationFunction.Sigmoid, name: "dense_2").Call(h), seed: 5);
        long seed = 31;
        (string, int[], double[]) Weight(string layer, string parameter)
        {
            Parameter p = reference.GetLayer(layer).Parameters.Single(q => q.Name == parameter);
            Tensor value = parameter == "moving_variance" ? Tensor.RandomUniform(p.Shape, seed++, 0.5f, 2f) : Tensor.RandomNormal(p.Shape, seed++, 0f, 0.5f);
            value.AsReadOnlySpan().CopyTo(p.Value.AsSpan());
            return ($"{layer}/{parameter}:0", p.Shape.Dimensions.ToArray(), [.. value.AsReadOnlySpan().ToArray().Select(v => (double)v)]);
        }

        string path = Path.Combine(_folder, "nested-weights.h5");
        H5py.WriteLegacy(path, new Dictionary<string, string>(), "",
        [
            ("input_1", []),
            ("base", [Weight("dense", "kernel"), Weight("dense", "bias"), Weight("batch_normalization", "gamma"), Weight("batch_normalization", "beta"),
                Weight("dense_1", "kernel"), Weight("dense_1", "bias"), Weight("batch_normalization", "moving_mean"), Weight("batch_normalization", "moving_variance")]),
            ("dense_2", [Weight("dense_2", "kernel"), Weight("dense_2", "bias")]),
        ]);

        // Other names and initial values: only the order matters.
        var x = new Input(new TensorShape(4));
        SymbolicTensor y = new Dense(2).Call(new BatchNormalization().Call(new Dense(3, ActivationFunction.Relu).Call(x)));
        var model = new Functional(x, new Dense(1, ActivationFunction.Sigmoid).Call(y), seed: 6);
        KerasFormat.LoadWeights(model, path);

        Tensor batch = Tensor.RandomNormal(new TensorShape(5, 4), seed: 2);
        Assert.Equal(reference.Predict(batch).ToArray(), model.Predict(batch).ToArray());

        // A layer more than the file covers: the groups take 4 of its 5 layers with weights.
        var longer = new Functional(x, new Dense(1).Call(new Dense(1, ActivationFunction.Sigmoid).Call(y)), seed: 6);
        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(longer, path));
        Assert.Contains("the file has weights for 2 layers but model", error.Message, StringComparison.Ordinal);
    }

    [H5pyFact]
    public void LoadWeights_Keras3FileWithNestedModelGroup_IsRefusedSayingWhere()
    {
        // Keras 3's saving_lib for input -> Sequential([Dense 3, Dense 2]) -> Dense 1: the nested model is the container
        // layers/sequential with its own layers/dense and layers/dense_1; the outer Dense, first of its class in the outer
        // list, is layers/dense. A NeuralNet model of the same layers has them as layers/dense, dense_1, dense_2.
        string path = Path.Combine(_folder, "nested.weights.h5");
        H5py.Write(path, ["", "layers/sequential", "layers/sequential/layers/dense", "layers/sequential/layers/dense_1", "layers/dense"],
        [
            ("layers/sequential/layers/dense/vars/0", [4, 3], "float32", [.. Enumerable.Range(0, 12).Select(i => i * 0.1)]),
            ("layers/sequential/layers/dense/vars/1", [3], "float32", [0.1, 0.2, 0.3]),
            ("layers/sequential/layers/dense_1/vars/0", [3, 2], "float32", [.. Enumerable.Range(0, 6).Select(i => i * 0.2)]),
            ("layers/sequential/layers/dense_1/vars/1", [2], "float32", [0.4, 0.5]),
            ("layers/dense/vars/0", [2, 1], "float32", [0.6, 0.7]),
            ("layers/dense/vars/1", [1], "float32", [0.8]),
        ]);
        var model = new Sequential([new Input(4).Layer, new Dense(3), new Dense(2), new Dense(1)], seed: 3);
        float[] before = model.Layers.First(l => l.Parameters.Count > 0).Parameters[0].Value.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));

        Assert.Contains("dataset 'layers/dense/vars/0' has shape (2, 1)", error.Message, StringComparison.Ordinal);
        Assert.Contains("keeps a nested model's weights in its own group, 'layers/sequential'", error.Message, StringComparison.Ordinal);
        Assert.Contains("KerasFormat.LoadModel", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Layers.First(l => l.Parameters.Count > 0).Parameters[0].Value.ToArray());
    }
}
