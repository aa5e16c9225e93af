using NeuralNet.Applications;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// A Keras 2 weights-only file laid out as Keras' published <c>convnext_tiny.h5</c> / <c>convnext_tiny_notop.h5</c>
/// (<c>layer_names</c> in the model's order, a group per layer with <c>weight_names</c>, the stem and each downsampling
/// block one group of the nested <c>Sequential</c> with its two layers' four weights), written with h5py, loads into
/// <see cref="KerasApplications.ConvNeXtTiny"/>, every weight in its layer.
/// </summary>
public sealed class KerasConvNeXtWeightsTests : IDisposable
{
    private const string Name = "convnext_tiny";

    private readonly string _folder = Directory.CreateTempSubdirectory("neuralnet-convnext-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // Every layer of Keras' ConvNeXtTiny (tf.keras 2, which wrote the published files) in model.layers order with its
    // weights (name, shape), written out from convnext.py (MODEL_CONFIGS["tiny"]: depths 3, 3, 9, 3, projection_dims 96,
    // 192, 384, 768), not computed by the code under test. `nested` maps each weight of a nested Sequential's group to
    // the inner layer it belongs to. tf.keras names a nested layer's weights after the inner layer, under the nested
    // model's name scope when the Sequential is built inside the functional call (`scope` "convnext_tiny_stem/"); both
    // forms are tested, since Keras (and the loader) go by order, not by these names. LayerScale's weight is a plain
    // tf.Variable (`self.gamma = tf.Variable(...)` in tf.keras' convnext.py), hence "Variable:0".
    private static List<(string Layer, (string Name, int[] Shape)[] Weights)> KerasLayers(bool includeTop, bool scoped, Dictionary<string, string> nested)
    {
        int[] depths = [3, 3, 9, 3];
        int[] dims = [96, 192, 384, 768];
        var layers = new List<(string, (string, int[])[])>();
        (string, int[])[] Conv(string name, int k, int cin, int cout, string prefix = "") => [($"{prefix}{name}/kernel:0", [k, k, cin, cout]), ($"{prefix}{name}/bias:0", [cout])];
        (string, int[])[] Norm(string name, int c, string prefix = "") => [($"{prefix}{name}/gamma:0", [c]), ($"{prefix}{name}/beta:0", [c])];
        void Dense(string name, int cin, int cout) => layers.Add((name, [($"{name}/kernel:0", [cin, cout]), ($"{name}/bias:0", [cout])]));
        void Plain(string name) => layers.Add((name, []));
        void Nested(string group, params (string Layer, (string Name, int[] Shape)[] Weights)[] inner)
        {
            layers.Add((group, [.. inner.SelectMany(l => l.Weights)]));
            foreach (var (layer, weights) in inner)
            {
                foreach (var (weight, _) in weights)
                {
                    nested[weight] = layer;
                }
            }
        }

        Plain("input_1");
        Plain($"{Name}_prestem_normalization");
        string scope = scoped ? $"{Name}_stem/" : string.Empty;
        Nested($"{Name}_stem", ($"{Name}_stem_conv", Conv($"{Name}_stem_conv", 4, 3, dims[0], scope)), ($"{Name}_stem_layernorm", Norm($"{Name}_stem_layernorm", dims[0], scope)));
        int adds = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                string group = $"{Name}_downsampling_block_{i - 1}";
                scope = scoped ? group + "/" : string.Empty;
                string norm = $"{Name}_downsampling_layernorm_{i - 1}", conv = $"{Name}_downsampling_conv_{i - 1}";
                Nested(group, (norm, Norm(norm, dims[i - 1], scope)), (conv, Conv(conv, 2, dims[i - 1], dims[i], scope)));
            }

            for (int j = 0; j < depths[i]; j++)
            {
                string p = $"{Name}_stage_{i}_block_{j}";
                int d = dims[i];
                layers.Add((p + "_depthwise_conv", [($"{p}_depthwise_conv/kernel:0", [7, 7, 1, d]), ($"{p}_depthwise_conv/bias:0", [d])]));
                layers.Add((p + "_layernorm", Norm(p + "_layernorm", d)));
                Dense(p + "_pointwise_conv_1", d, 4 * d);
                Plain(p + "_gelu");
                Dense(p + "_pointwise_conv_2", 4 * d, d);
                layers.Add((p + "_layer_scale", [($"{p}_layer_scale/Variable:0", [d])]));
                Plain(p + "_identity");
                Plain(adds++ == 0 ? "tf.__operators__.add" : $"tf.__operators__.add_{adds - 1}");
            }
        }

        if (includeTop)
        {
            Plain($"{Name}_head_gap");
            layers.Add(($"{Name}_head_layernorm", Norm($"{Name}_head_layernorm", dims[3])));
            Dense($"{Name}_head_dense", dims[3], 1000);
        }
        else
        {
            layers.Add(("layer_normalization", Norm("layer_normalization", dims[3])));
        }

        return layers;
    }

    private static Functional Model(bool includeTop, int seed = 0) =>
        KerasApplications.ConvNeXtTiny(new ApplicationOptions { IncludeTop = includeTop, InputShape = new TensorShape(32, 32, 3), Seed = seed });

    private string WriteKerasFile(bool includeTop, bool scoped, out Dictionary<string, double[][]> written,
        Func<List<(string Layer, (string Name, int[] Shape)[] Weights)>, List<(string Layer, (string Name, int[] Shape)[] Weights)>>? change = null)
    {
        string path = Path.Combine(_folder, includeTop ? "convnext_tiny.h5" : "convnext_tiny_notop.h5");
        var nested = new Dictionary<string, string>();
        var layers = KerasLayers(includeTop, scoped, nested);
        written = ApplicationWeightsFiles.Write(path, change is null ? layers : change(layers), layerOf: (group, weight) => nested.GetValueOrDefault(weight, group));
        return path;
    }

    [H5pyTheory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void LoadWeights_KerasPublishedConvNeXtTinyLayout_LoadsEveryWeightIntoItsLayer(bool includeTop, bool scopedNames)
    {
        string path = WriteKerasFile(includeTop, scopedNames, out Dictionary<string, double[][]> written);
        Functional model = Model(includeTop);

        KerasFormat.LoadWeights(model, path);

        // 96 groups with weights (95 without top) into 100 layers with weights (99): the 4 nested groups take 2 layers each.
        Assert.Equal(includeTop ? 100 : 99, model.Layers.Count(l => l.Parameters.Count > 0));
        ApplicationWeightsFiles.AssertLoaded(model, written);

        // What the loaded model predicts survives NeuralNet's own save and load of the weights (a .weights.h5 in
        // NeuralNet's flat layout, which Keras 3's own ConvNeXt does not read: see docs/applications.md).
        Tensor images = Tensor.RandomUniform(new TensorShape(2, 32, 32, 3), seed: 3, 0f, 255f);
        float[] expected = model.Predict(images).ToArray();
        Assert.All(expected, v => Assert.True(float.IsFinite(v)));
        string saved = Path.Combine(_folder, "convnext_tiny.weights.h5");
        KerasFormat.SaveWeights(model, saved);
        Functional again = Model(includeTop, seed: 1);
        KerasFormat.LoadWeights(again, saved);
        Assert.Equal(expected, again.Predict(images).ToArray());
    }

    [H5pyFact]
    public void LoadWeights_StemFrozenBeforeLoading_StillGivesTheStemGroupToItsLayers()
    {
        // Frozen, the stem's convolution would come after the layer normalization in Keras' order of the moment; the file,
        // saved unfrozen, has it first.
        string path = WriteKerasFile(includeTop: false, scoped: false, out Dictionary<string, double[][]> written);
        Functional model = Model(includeTop: false);
        model.GetLayer($"{Name}_stem_conv").Trainable = false;
        model.GetLayer($"{Name}_downsampling_layernorm_1").Trainable = false;

        KerasFormat.LoadWeights(model, path);

        ApplicationWeightsFiles.AssertLoaded(model, written);
        Assert.False(model.GetLayer($"{Name}_stem_conv").Trainable);
    }

    [H5pyFact]
    public void LoadWeights_FileWithTopIntoModelWithoutTop_IsRefusedNamingTheGroupLeftOver()
    {
        // The with-top file's head_layernorm fills the model's last layer normalization; its head_dense is left over.
        string path = WriteKerasFile(includeTop: true, scoped: false, out _);
        Functional model = Model(includeTop: false);
        float[] before = model.GetLayer($"{Name}_stem_conv").Parameters[0].Value.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));

        Assert.Contains($"the first 95 of the file's 96 groups with weights fill the 99 layers with weights of model '{model.Name}': group '{Name}_head_dense' ({Name}_head_dense/kernel:0, {Name}_head_dense/bias:0) has no layer left", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.GetLayer($"{Name}_stem_conv").Parameters[0].Value.ToArray());
    }

    [H5pyFact]
    public void LoadWeights_NestedGroupMissingAWeight_IsRefusedNamingTheGroupAndItsWeights()
    {
        // The stem's group without its layer normalization's beta: 3 weights where the two layers have 4.
        string path = WriteKerasFile(includeTop: false, scoped: false, out _, layers =>
            [.. layers.Select(l => l.Layer == $"{Name}_stem" ? (l.Layer, l.Weights[..3]) : l)]);
        Functional model = Model(includeTop: false);
        float[] before = model.GetLayer($"{Name}_stem_conv").Parameters[0].Value.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));

        Assert.Contains($"saved group '{Name}_stem' holds 3 weights ({Name}_stem_conv/kernel:0, {Name}_stem_conv/bias:0, {Name}_stem_layernorm/gamma:0)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"layers '{Name}_stem_conv' (Conv2D, 2), '{Name}_stem_layernorm' (LayerNormalization, 2) have 4 parameters, not 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.GetLayer($"{Name}_stem_conv").Parameters[0].Value.ToArray());
    }

    [H5pyFact]
    public void LoadWeights_NestedGroupWeightOfAnotherShape_IsRefusedNamingTheDatasetAndTheParameter()
    {
        // The second downsampling block's convolution with 385 filters instead of 384.
        string group = $"{Name}_downsampling_block_1";
        string path = WriteKerasFile(includeTop: false, scoped: true, out _, layers =>
            [.. layers.Select(l => l.Layer == group ? (l.Layer, [.. l.Weights[..2], (l.Weights[2].Name, [2, 2, 192, 385]), (l.Weights[3].Name, [385])]) : l)]);
        Functional model = Model(includeTop: false);
        float[] before = model.GetLayer($"{Name}_stem_conv").Parameters[0].Value.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));

        Assert.Contains($"dataset '{group}/{group}/{Name}_downsampling_conv_1/kernel:0' has shape (2, 2, 192, 385)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"parameter 'kernel' (2, 2, 192, 384) of layer '{Name}_downsampling_conv_1' (Conv2D)", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.GetLayer($"{Name}_stem_conv").Parameters[0].Value.ToArray());
    }
}
