using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// LoadWeights with skipMismatch, Keras' load_weights(skip_mismatch=True): saving_lib's _load_state skips an object whose
/// load_own_variables fails (another count, which a missing group gives, or a shape); legacy_h5_format's by-order
/// _set_weights skips each weight of another shape and still refuses other counts.
/// </summary>
public sealed partial class KerasFormatTests
{
    // The transfer-learning case: a base trained with a 4-class head, loaded into the same architecture with a 1-unit head.
    private static Sequential Pretrained(int headUnits, long seed, int inputs = 8) =>
        new([new Input(inputs).Layer, new Dense(32, ActivationFunction.Relu, name: "base"), new Dense(headUnits, name: "head")], seed: seed);

    [Fact]
    public void LoadWeights_HeadOfAnotherShape_IsRefusedByDefaultAndSkippedWholeWithSkipMismatch()
    {
        Sequential saved = Pretrained(4, seed: 1);
        string weights = Path.Combine(_folder, "pretrained.weights.h5");
        KerasFormat.SaveWeights(saved, weights);
        string archive = Path.Combine(_folder, "pretrained.keras");
        KerasFormat.SaveModel(saved, archive);

        foreach (string path in new[] { weights, archive })
        {
            Sequential model = Pretrained(1, seed: 2);
            float[][] before = [.. model.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray())];

            var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));
            Assert.Contains("dataset 'layers/dense_1/vars/0' has shape (32, 4) but the parameter is (32, 1); it should hold parameter 'kernel' (32, 1) of layer 'head' (Dense)", error.Message, StringComparison.Ordinal);
            Assert.Equal(before, model.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()));

            IReadOnlyList<KerasSkippedWeights> skipped = KerasFormat.LoadWeights(model, path, skipMismatch: true);

            KerasSkippedWeights head = Assert.Single(skipped);
            Assert.Equal("head", head.Layer);
            Assert.Equal("layers/dense_1/vars", head.Path);
            Assert.Equal(["kernel", "bias"], head.Parameters);
            Assert.Equal("dataset 'layers/dense_1/vars/0' has shape (32, 4) but parameter 'kernel' of layer 'head' (Dense) is (32, 1)", head.Reason);
            Assert.Equal($"layer 'head', layers/dense_1/vars: {head.Reason}", head.ToString());
            // The base takes the file's weights, the head keeps its own, bit for bit.
            Assert.Equal(saved.GetLayer("base").Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()), model.GetLayer("base").Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()));
            Assert.Equal(before[2..], model.GetLayer("head").Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()));
            Assert.NotEqual(before[0], model.Parameters[0].Value.AsReadOnlySpan().ToArray());

            // A file that fits reports nothing.
            Assert.Empty(KerasFormat.LoadWeights(Pretrained(4, seed: 3), path, skipMismatch: true));
        }
    }

    [Fact]
    public void LoadWeights_SkipMismatch_SkipsARecurrentLayersCellGroupAndLeavesASkippedLoraLayersAdapters()
    {
        // A tail that fits, as a file of which nothing loads is refused.
        var saved = new Sequential([new InputLayer(5, 3), new Lstm(6, name: "rnn"), new Dense(2, name: "head"), new Dense(1, name: "tail")], seed: 8);
        string path = Path.Combine(_folder, "rnn.weights.h5");
        KerasFormat.SaveWeights(saved, path);
        var model = new Sequential([new InputLayer(5, 3), new Lstm(4, name: "rnn"), new Dense(2, name: "head"), new Dense(1, name: "tail")], seed: 9);
        var head = (Dense)model.GetLayer("head");
        head.EnableLora(2);
        ((ILoraLayer)head).LoraB!.Value.AsSpan().Fill(0.5f);
        float[][] before = [.. model.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray())];

        IReadOnlyList<KerasSkippedWeights> skipped = KerasFormat.LoadWeights(model, path, skipMismatch: true);

        // Keras' LSTM keeps its variables in its cell's group; the head's kernel is (4, 2) here, (6, 2) in the file.
        Assert.Equal(["layers/lstm/cell/vars", "layers/dense/vars"], skipped.Select(s => s.Path));
        Assert.Equal(["kernel", "recurrent_kernel", "bias"], skipped[0].Parameters);
        Assert.Equal("dataset 'layers/lstm/cell/vars/0' has shape (3, 24) but parameter 'kernel' of layer 'rnn' (LSTM) is (3, 16)", skipped[0].Reason);
        Assert.Equal(["kernel", "bias"], skipped[1].Parameters);
        // Nothing else changed, LoRA's A and B included (Keras' load_own_variables fails before it zeroes them).
        Assert.Equal(before[..^2], model.Parameters.SkipLast(2).Select(p => p.Value.AsReadOnlySpan().ToArray()));
        Assert.Equal(saved.GetLayer("tail").Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()), model.GetLayer("tail").Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()));

        // A head that fits loads, and its A and B become zeros as Keras' load_own_variables sets them.
        var fits = new Sequential([new InputLayer(5, 3), new Lstm(4, name: "rnn"), new Dense(2, name: "head")], seed: 10);
        var fitsHead = (Dense)fits.GetLayer("head");
        fitsHead.EnableLora(2);
        string small = Path.Combine(_folder, "rnn-small.weights.h5");
        KerasFormat.SaveWeights(new Sequential([new InputLayer(5, 3), new Lstm(4), new Dense(3)], seed: 11), small);
        skipped = KerasFormat.LoadWeights(fits, small, skipMismatch: true);
        Assert.Equal(["layers/dense/vars"], skipped.Select(s => s.Path));
        Assert.NotEqual(0f, ((ILoraLayer)fitsHead).LoraA!.Value.AsReadOnlySpan().ToArray().Select(Math.Abs).Max());

        KerasFormat.SaveWeights(new Sequential([new InputLayer(5, 3), new Lstm(4), new Dense(2)], seed: 12), small);
        Assert.Empty(KerasFormat.LoadWeights(fits, small, skipMismatch: true));
        Assert.All(((ILoraLayer)fitsHead).LoraA!.Value.AsReadOnlySpan().ToArray(), v => Assert.Equal(0f, v));
    }

    [H5pyFact]
    public void LoadWeights_SkipMismatch_SkipsGroupsOfAnotherCountOrMissingAndReportsGroupsNoLayerTakes()
    {
        // Groups dense, dropout, dense_1, dense_2 in Keras' layout.
        var model = new Sequential([new Input(2).Layer, new Dense(3, name: "a"), new Dropout(0.5, name: "d"), new Dense(2, name: "b"), new Dense(1, name: "c")], seed: 4);
        float[][] before = [.. model.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray())];
        string path = Path.Combine(_folder, "mismatch.weights.h5");
        H5py.Write(path, ["layers/dense", "layers/dropout", "layers/dense_1", "layers/dense_3"],
        [
            ("layers/dense/vars/0", [2, 3], "float32", [1, 2, 3, 4, 5, 6]),
            ("layers/dense/vars/1", [3], "float64", [7, 8, 9]),
            ("layers/dropout/vars/0", [1], "float32", [0.5]),
            ("layers/dense_1/vars/0", [3, 2], "float32", [1, 1, 1, 1, 1, 1]),
            ("layers/dense_3/vars/0", [1, 1], "float32", [5]),
            ("layers/dense_3/vars/1", [1], "float32", [6]),
        ]);

        IReadOnlyList<KerasSkippedWeights> skipped = KerasFormat.LoadWeights(model, path, skipMismatch: true);

        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f], model.GetLayer("a").Parameters.SelectMany(p => p.Value.AsReadOnlySpan().ToArray()));
        Assert.Equal(before[2..], model.Parameters.Skip(2).Select(p => p.Value.AsReadOnlySpan().ToArray()));
        Assert.Equal(
        [
            "layer 'b', layers/dense_1/vars: the file holds 1 variable there ('layers/dense_1/vars/1' is missing) where layer 'b' (Dense) has 2: it was written by a layer of other settings, or the model has a layer the file's model did not",
            "layer 'c', layers/dense_2/vars: the file holds 0 variables there ('layers/dense_2/vars/0' is missing) where layer 'c' (Dense) has 2: it was written by a layer of other settings, or the model has a layer the file's model did not",
            "no layer, layers/dense_3/vars: the file holds 2 datasets ('layers/dense_3/vars/0', 'layers/dense_3/vars/1') where the model has no layer: it was written by a model with more layers (of this class, under 'layers')",
            "layer 'd', layers/dropout/vars: the file holds 1 dataset ('layers/dropout/vars/0') for layer 'd', which keeps no parameters there",
        ], skipped.Select(s => s.ToString()));
        Assert.Equal([["kernel", "bias"], ["kernel", "bias"], [], []], skipped.Select(s => s.Parameters));

        // Without skipMismatch the first problem is refused, and nothing changes.
        float[][] loaded = [.. model.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray())];
        var fresh = new Sequential([new Input(2).Layer, new Dense(3, name: "a"), new Dropout(0.5, name: "d"), new Dense(2, name: "b"), new Dense(1, name: "c")], seed: 4);
        Assert.Contains("'layers/dense_1/vars/1' is missing", Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(fresh, path)).Message, StringComparison.Ordinal);
        Assert.Equal(before, fresh.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()));

        // A dataset of a type no weight has is a damaged file, not another model: refused with skipMismatch too, nothing changed.
        string damaged = Path.Combine(_folder, "int-kernel.weights.h5");
        H5py.Write(damaged, ["layers/dense"], [("layers/dense/vars/0", [2, 3], "int32", [1, 2, 3, 4, 5, 6]), ("layers/dense/vars/1", [3], "float32", [0, 0, 0])]);
        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, damaged, skipMismatch: true));
        Assert.Contains("dataset 'layers/dense/vars/0' holds FixedPoint values of 4 bytes; expected float32 values", error.Message, StringComparison.Ordinal);
        Assert.Equal(loaded, model.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()));
    }

    [H5pyFact]
    public void LoadWeights_Keras2FileWithSkipMismatch_SkipsEachWeightOfAnotherShapeAndStillRefusesOtherCounts()
    {
        // legacy_h5_format.load_weights_from_hdf5_group(f, model, skip_mismatch): by order, weight by weight.
        Sequential saved = Pretrained(4, seed: 5);
        string path = WriteKeras2(saved, "pretrained.h5", modelConfig: null, group: string.Empty, seed: 81);
        Sequential model = Pretrained(1, seed: 6, inputs: 6);
        float[][] before = [.. model.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray())];

        Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));
        Assert.Equal(before, model.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()));

        IReadOnlyList<KerasSkippedWeights> skipped = KerasFormat.LoadWeights(model, path, skipMismatch: true);

        Assert.Equal(
        [
            "layer 'base', base/base/kernel:0: dataset 'base/base/kernel:0' has shape (8, 32) but parameter 'kernel' of layer 'base' (Dense) is (6, 32)",
            "layer 'head', head/head/kernel:0: dataset 'head/head/kernel:0' has shape (32, 4) but parameter 'kernel' of layer 'head' (Dense) is (32, 1)",
            "layer 'head', head/head/bias:0: dataset 'head/head/bias:0' has shape (4,) but parameter 'bias' of layer 'head' (Dense) is (1,)",
        ], skipped.Select(s => s.ToString()));
        // The base's bias fits and loads; every weight skipped keeps its value.
        Assert.Equal(saved.Parameters[1].Value.AsReadOnlySpan().ToArray(), model.Parameters[1].Value.AsReadOnlySpan().ToArray());
        Assert.NotEqual(before[1], model.Parameters[1].Value.AsReadOnlySpan().ToArray());
        Assert.Equal([before[0], before[2], before[3]], new[] { 0, 2, 3 }.Select(i => model.Parameters[i].Value.AsReadOnlySpan().ToArray()));

        // Another number of weights in a layer is refused as Keras refuses it, skipMismatch or not, and nothing changes.
        var noBias = new Sequential([new Input(8).Layer, new Dense(32, useBias: false), new Dense(4)], seed: 7);
        float[][] noBiasBefore = [.. noBias.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray())];
        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(noBias, path, skipMismatch: true));
        Assert.Contains("saved layer 'base' has 2 weights (base/kernel:0, base/bias:0) but layer 'dense' (Dense) has 1 parameters. (skipMismatch skips only the weights of another shape in a Keras 2 file", error.Message, StringComparison.Ordinal);
        Assert.Equal(noBiasBefore, noBias.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()));
    }

    [Fact]
    public void LoadWeights_SkipMismatch_SkipsASpectralNormalizationsGroupWithTheGroupOfTheKernelItRepeats()
    {
        // The file's Dense has no bias, so its layer/vars group is skipped; the wrapper's vars (the kernel again and
        // vector_u) fits by itself but is skipped with it, and the layer keeps its own kernel, bias and vector_u.
        var saved = new Sequential([new InputLayer(4), new SpectralNormalization(new Dense(3, useBias: false)), new Dense(2, name: "head")], seed: 13);
        string path = Path.Combine(_folder, "spectral-nobias.weights.h5");
        KerasFormat.SaveWeights(saved, path);
        var model = new Sequential([new InputLayer(4), new SpectralNormalization(new Dense(3)), new Dense(2, name: "head")], seed: 14);
        float[][] before = [.. model.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray())];

        IReadOnlyList<KerasSkippedWeights> skipped = KerasFormat.LoadWeights(model, path, skipMismatch: true);

        Assert.Equal(["layers/spectral_normalization/layer/vars", "layers/spectral_normalization/vars"], skipped.Select(s => s.Path).Order(StringComparer.Ordinal));
        KerasSkippedWeights wrapper = skipped.Single(s => s.Path == "layers/spectral_normalization/vars");
        Assert.Contains("vector_u", wrapper.Parameters);
        Assert.StartsWith("skipped with 'layers/spectral_normalization/layer/vars', since 'layers/spectral_normalization/vars/0' repeats the 'layers/spectral_normalization/layer/vars/0'", wrapper.Reason, StringComparison.Ordinal);
        Layer spectral = model.Layers.Single(l => l is SpectralNormalization);
        Assert.Equal(before.Take(spectral.Parameters.Count), spectral.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()));
        Assert.Equal(saved.GetLayer("head").Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()), model.GetLayer("head").Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()));
    }

    [H5pyFact]
    public void LoadWeights_SkipMismatchWhereNothingFits_IsRefusedWithTheReasonsAndTheNestedModelHint()
    {
        // A Keras 3 file of a model nested in another (its weights under layers/functional/layers/...) loaded into the
        // flattened model: not one group fits, which would leave the model untrained behind a successful call.
        var model = new Sequential([new Input(2).Layer, new Dense(3, name: "a"), new Dense(1, name: "b")], seed: 15);
        float[][] before = [.. model.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray())];
        string path = Path.Combine(_folder, "nested.weights.h5");
        H5py.Write(path, ["layers/functional", "layers/functional/layers/dense", "layers/functional/layers/dense_1"],
        [
            ("layers/functional/layers/dense/vars/0", [2, 3], "float32", [1, 2, 3, 4, 5, 6]),
            ("layers/functional/layers/dense/vars/1", [3], "float32", [7, 8, 9]),
            ("layers/functional/layers/dense_1/vars/0", [3, 1], "float32", [1, 1, 1]),
            ("layers/functional/layers/dense_1/vars/1", [1], "float32", [0]),
        ]);

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path, skipMismatch: true));

        Assert.Contains($"{path}: skipMismatch skipped everything: not one weight of the file fits model '{model.Name}', which would be left as it was.", error.Message, StringComparison.Ordinal);
        Assert.Contains("The file keeps a nested model's weights in its own group, 'layers/functional'", error.Message, StringComparison.Ordinal);
        Assert.Contains("First reasons: layer 'a', layers/dense/vars: the file holds 0 variables there ('layers/dense/vars/0' is missing)", error.Message, StringComparison.Ordinal);
        Assert.Contains("(and 1 more). Nothing was changed.", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()));

        // With one group that fits, the load goes ahead, and the group no layer takes carries the hint in its reason.
        H5py.Write(path, ["layers/dense", "layers/functional", "layers/functional/layers/dense_1"],
        [
            ("layers/dense/vars/0", [2, 3], "float32", [1, 2, 3, 4, 5, 6]),
            ("layers/dense/vars/1", [3], "float32", [7, 8, 9]),
            ("layers/functional/layers/dense_1/vars/0", [3, 1], "float32", [1, 1, 1]),
            ("layers/functional/layers/dense_1/vars/1", [1], "float32", [0]),
        ]);
        IReadOnlyList<KerasSkippedWeights> skipped = KerasFormat.LoadWeights(model, path, skipMismatch: true);
        Assert.Equal([null, "b"], skipped.Select(s => s.Layer).Order());
        Assert.Contains("(of this class, under 'layers'). The file keeps a nested model's weights in its own group, 'layers/functional'", skipped.Single(s => s.Layer is null).Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("nested model", skipped.Single(s => s.Layer == "b").Reason, StringComparison.Ordinal);
    }

    [H5pyFact]
    public void LoadWeights_Keras2FileWhereNoWeightFits_IsRefusedWithSkipMismatch()
    {
        string path = WriteKeras2(Pretrained(4, seed: 16, inputs: 5), "nothing-fits.h5", modelConfig: null, group: string.Empty, seed: 82);
        var model = new Sequential([new Input(8).Layer, new Dense(31, name: "base"), new Dense(1, name: "head")], seed: 17);
        float[][] before = [.. model.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray())];

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path, skipMismatch: true));

        Assert.Contains("skipMismatch skipped everything", error.Message, StringComparison.Ordinal);
        Assert.Contains("First reasons: layer 'base', base/base/kernel:0: dataset 'base/base/kernel:0' has shape (5, 32)", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray()));
    }

    [Fact]
    public void InParameterOrder_ParameterWithoutValueOutsideTheSkippedOnes_IsRefused()
    {
        // Only the parameters skipMismatch skipped keep their values; any other without one is a layout bug, not a file's.
        var model = new Sequential([new Input(2).Layer, new Dense(1, name: "d")], seed: 18);
        Parameter kernel = model.Parameters[0];
        Parameter bias = model.Parameters[1];
        Tensor value = new(kernel.Shape);

        var error = Assert.Throws<InvalidOperationException>(() => KerasWeightReader.InParameterOrder(model.Parameters, [(kernel, value)], new HashSet<Parameter>()));

        Assert.Contains("read no value for parameter 'bias' (1,) and did not skip it", error.Message, StringComparison.Ordinal);
        List<Tensor> kept = KerasWeightReader.InParameterOrder(model.Parameters, [(kernel, value)], new HashSet<Parameter> { bias });
        Assert.Same(value, kept[0]);
        Assert.Same(bias.Value, kept[1]);
    }
}
