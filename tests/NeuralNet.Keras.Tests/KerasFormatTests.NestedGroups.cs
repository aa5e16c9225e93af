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
        Assert.Contains($"the file's 2 groups with weights fill 4 of the 5 layers with weights of model '{longer.Name}': layer '{longer.Layers[^1].Name}' (Dense) gets no weights", error.Message, StringComparison.Ordinal);

        // The normalization frozen: Keras' order of the moment puts its gamma and beta after dense_1's weights, and
        // counting them as trainable puts its moving statistics before dense_1's: no order tried fits the file.
        Layer normalization = model.Layers.OfType<BatchNormalization>().Single();
        normalization.Trainable = false;
        error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));
        Assert.Contains($"layers '{normalization.Name}' are frozen, which changes Keras' order: unfreeze them (Layer.Trainable = true) before LoadWeights", error.Message, StringComparison.Ordinal);
        Assert.Contains("dataset 'base/batch_normalization/gamma:0' has shape (3,) where parameter 'kernel' (3, 2) comes", error.Message, StringComparison.Ordinal);
        Assert.Equal(reference.Predict(batch).ToArray(), model.Predict(batch).ToArray());

        // A dataspace of (4, 0) for dense's kernel, which no TensorShape takes: the message gives its dimensions as the file says them.
        string zero = Path.Combine(_folder, "nested-zero-weights.h5");
        H5py.WriteLegacy(zero, new Dictionary<string, string>(), "",
        [
            ("input_1", []),
            ("base", [("dense/kernel:0", [4, 0], []), Weight("dense", "bias"), Weight("batch_normalization", "gamma"), Weight("batch_normalization", "beta"),
                Weight("dense_1", "kernel"), Weight("dense_1", "bias"), Weight("batch_normalization", "moving_mean"), Weight("batch_normalization", "moving_variance")]),
            ("dense_2", [Weight("dense_2", "kernel"), Weight("dense_2", "bias")]),
        ]);
        error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, zero));
        Assert.Contains("dataset 'base/dense/kernel:0' has shape (4, 0) where parameter 'kernel' (4, 3) comes", error.Message, StringComparison.Ordinal);
    }

    [H5pyFact]
    public void LoadWeights_Keras2NestedGroupSavedFrozen_IsReadLayerByLayer()
    {
        // A nested model saved frozen lists every layer's weights layer by layer (its weights are all non-trainable):
        // the BatchNormalization's moving statistics right after its gamma and beta, before dense_1's kernel.
        var input = new Input(new TensorShape(4));
        SymbolicTensor h = new BatchNormalization(name: "batch_normalization").Call(new Dense(3, ActivationFunction.Relu, name: "dense").Call(input));
        var reference = new Functional(input, new Dense(2, name: "dense_1").Call(h), seed: 5);
        long seed = 41;
        (string, int[], double[]) Weight(string layer, string parameter)
        {
            Parameter p = reference.GetLayer(layer).Parameters.Single(q => q.Name == parameter);
            Tensor value = parameter == "moving_variance" ? Tensor.RandomUniform(p.Shape, seed++, 0.5f, 2f) : Tensor.RandomNormal(p.Shape, seed++, 0f, 0.5f);
            value.AsReadOnlySpan().CopyTo(p.Value.AsSpan());
            return ($"{layer}/{parameter}:0", p.Shape.Dimensions.ToArray(), [.. value.AsReadOnlySpan().ToArray().Select(v => (double)v)]);
        }

        string path = Path.Combine(_folder, "nested-frozen.h5");
        H5py.WriteLegacy(path, new Dictionary<string, string>(), "",
        [
            ("input_1", []),
            ("base", [Weight("dense", "kernel"), Weight("dense", "bias"), Weight("batch_normalization", "gamma"), Weight("batch_normalization", "beta"),
                Weight("batch_normalization", "moving_mean"), Weight("batch_normalization", "moving_variance"), Weight("dense_1", "kernel"), Weight("dense_1", "bias")]),
        ]);

        var x = new Input(new TensorShape(4));
        var model = new Functional(x, new Dense(2).Call(new BatchNormalization().Call(new Dense(3, ActivationFunction.Relu).Call(x))), seed: 6);
        KerasFormat.LoadWeights(model, path);

        Tensor batch = Tensor.RandomNormal(new TensorShape(5, 4), seed: 2);
        Assert.Equal(reference.Predict(batch).ToArray(), model.Predict(batch).ToArray());
    }

    [H5pyFact]
    public void LoadWeights_Keras2GroupOfOneLayerWithMoreWeights_IsRefusedAsACountMismatchNotANestedGroup()
    {
        // A BatchNormalization's 4 weights, all of shape (3), meet two LayerNormalizations of 2 parameters of shape (3):
        // the names name one layer, so the group is that layer's, and the file is one group short, as Keras says.
        string path = Path.Combine(_folder, "bn-for-two-norms.h5");
        double[] Values(int n, double start) => [.. Enumerable.Range(0, n).Select(i => start + (i * 0.1))];
        H5py.WriteLegacy(path, new Dictionary<string, string>(), "",
        [
            ("input_1", []),
            ("dense", [("dense/kernel:0", [4, 3], Values(12, 0.1)), ("dense/bias:0", [3], Values(3, 0.2))]),
            ("batch_normalization", [("batch_normalization/gamma:0", [3], Values(3, 1)), ("batch_normalization/beta:0", [3], Values(3, 0.3)),
                ("batch_normalization/moving_mean:0", [3], Values(3, 0.4)), ("batch_normalization/moving_variance:0", [3], Values(3, 1.5))]),
        ]);
        var x = new Input(new TensorShape(4));
        var model = new Functional(x, new LayerNormalization(name: "second").Call(new LayerNormalization(name: "first").Call(new Dense(3, name: "dense").Call(x))), seed: 6);
        float[] before = model.GetLayer("first").Parameters[0].Value.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));

        Assert.Contains($"the file's 2 groups with weights fill 2 of the 3 layers with weights of model '{model.Name}': layer 'second' (LayerNormalization) gets no weights", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("several layers", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.GetLayer("first").Parameters[0].Value.ToArray());
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

    [H5pyFact]
    public void LoadWeights_Keras3FileWithNestedModelGroupWhoseOuterLayersFit_IsRefusedForTheDatasetLeftOver()
    {
        // Keras 3's saving_lib for input -> Sequential([Dense 3]) -> Dense 3 -> Dense 3: the outer Dense layers are
        // layers/dense and layers/dense_1, the very paths (and shapes) of a flat NeuralNet model of two Dense 3 layers, so
        // every parameter finds a dataset and the nested model's group is what is left over.
        string path = Path.Combine(_folder, "nested-left-over.weights.h5");
        double[] Values(int n, double start) => [.. Enumerable.Range(0, n).Select(i => start + (i * 0.1))];
        H5py.Write(path, ["", "layers/sequential", "layers/sequential/layers/dense", "layers/dense", "layers/dense_1"],
        [
            ("layers/sequential/layers/dense/vars/0", [3, 3], "float32", Values(9, 0.1)),
            ("layers/sequential/layers/dense/vars/1", [3], "float32", Values(3, 0.2)),
            ("layers/dense/vars/0", [3, 3], "float32", Values(9, 0.3)),
            ("layers/dense/vars/1", [3], "float32", Values(3, 0.4)),
            ("layers/dense_1/vars/0", [3, 3], "float32", Values(9, 0.5)),
            ("layers/dense_1/vars/1", [3], "float32", Values(3, 0.6)),
        ]);
        var model = new Sequential([new Input(3).Layer, new Dense(3), new Dense(3)], seed: 3);
        float[] before = model.Layers.First(l => l.Parameters.Count > 0).Parameters[0].Value.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));

        Assert.Contains("dataset 'layers/sequential/layers/dense/vars/0' belongs to no parameter of the model", error.Message, StringComparison.Ordinal);
        Assert.Contains("keeps a nested model's weights in its own group, 'layers/sequential'", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Layers.First(l => l.Parameters.Count > 0).Parameters[0].Value.ToArray());
    }
}
