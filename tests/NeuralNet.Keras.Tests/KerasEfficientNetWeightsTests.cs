using NeuralNet.Applications;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// A Keras 2 weights-only file laid out as Keras' published <c>efficientnetb0_notop.h5</c> (<c>layer_names</c> in the
/// model's order, a group per layer with <c>weight_names</c>; the normalization's <c>mean</c>, <c>variance</c> and
/// <c>count</c>), written with h5py, loads into <see cref="KerasApplications.EfficientNetB0"/> built with
/// <see cref="ApplicationOptions.ImageNetWeights"/>.
/// </summary>
public sealed class KerasEfficientNetWeightsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("neuralnet-efficientnet-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // efficientnet.py's DEFAULT_BLOCKS_ARGS for B0: (kernel, repeats, filters in, filters out, expansion, strides).
    private static readonly (int K, int R, int In, int Out, int E, int S)[] Stages =
        [(3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2), (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1)];

    // Every layer of Keras' EfficientNetB0(include_top=False, weights="imagenet") in model.layers order with its Keras 2
    // weights (name, shape), written out from efficientnet.py (not computed by the code under test).
    private static List<(string Layer, (string Name, int[] Shape)[] Weights)> KerasLayers()
    {
        var layers = new List<(string, (string, int[])[])>();
        void Conv(string name, int k, int cin, int cout, bool bias = false) =>
            layers.Add((name, bias ? [($"{name}/kernel:0", [k, k, cin, cout]), ($"{name}/bias:0", [cout])] : [($"{name}/kernel:0", [k, k, cin, cout])]));
        void Norm(string name, int c) => layers.Add((name, [($"{name}/gamma:0", [c]), ($"{name}/beta:0", [c]), ($"{name}/moving_mean:0", [c]), ($"{name}/moving_variance:0", [c])]));
        void Plain(string name) => layers.Add((name, []));

        Plain("input_1");
        Plain("rescaling");
        layers.Add(("normalization", [("normalization/mean:0", [3]), ("normalization/variance:0", [3]), ("normalization/count:0", [])]));
        Plain("rescaling_1");
        Plain("stem_conv_pad");
        Conv("stem_conv", 3, 3, 32);
        Norm("stem_bn", 32);
        Plain("stem_activation");
        for (int i = 0; i < Stages.Length; i++)
        {
            var (k, r, fi, fo, e, s) = Stages[i];
            for (int j = 0; j < r; j++)
            {
                string p = $"block{i + 1}{(char)('a' + j)}_";
                int inF = j == 0 ? fi : fo, filters = inF * e;
                if (e != 1)
                {
                    Conv(p + "expand_conv", 1, inF, filters);
                    Norm(p + "expand_bn", filters);
                    Plain(p + "expand_activation");
                }

                if (j == 0 && s == 2)
                {
                    Plain(p + "dwconv_pad");
                }

                layers.Add((p + "dwconv", [($"{p}dwconv/depthwise_kernel:0", [k, k, filters, 1])]));
                Norm(p + "bn", filters);
                Plain(p + "activation");
                Plain(p + "se_squeeze");
                Plain(p + "se_reshape");
                int se = Math.Max(1, inF / 4);
                Conv(p + "se_reduce", 1, filters, se, bias: true);
                Conv(p + "se_expand", 1, se, filters, bias: true);
                Plain(p + "se_excite");
                Conv(p + "project_conv", 1, filters, fo);
                Norm(p + "project_bn", fo);
                if (j > 0)
                {
                    Plain(p + "drop");
                    Plain(p + "add");
                }
            }
        }

        Conv("top_conv", 1, 320, 1280);
        Norm("top_bn", 1280);
        Plain("top_activation");
        return layers;
    }

    private static double[] Values(int weight, string name, int count)
    {
        // The published file's normalization: ImageNet's mean and, as variance, its standard deviation; count an integer.
        if (name == "normalization/mean:0")
        {
            return [0.485, 0.456, 0.406];
        }

        if (name == "normalization/variance:0")
        {
            return [0.229, 0.224, 0.225];
        }

        if (name == "normalization/count:0")
        {
            return [1_281_167];   // an int64 in the published file
        }

        return ApplicationWeightsFiles.Values(weight, name, count);
    }

    [H5pyFact]
    public void LoadWeights_KerasPublishedLayout_LoadsIntoEfficientNetB0()
    {
        string path = Path.Combine(_folder, "efficientnetb0_notop.h5");
        Dictionary<string, double[][]> written = ApplicationWeightsFiles.Write(path, KerasLayers(), Values, dtypeOf: name => name == "normalization/count:0" ? "int64" : null);
        Functional model = KerasApplications.EfficientNetB0(new ApplicationOptions { IncludeTop = false, ImageNetWeights = true, InputShape = new TensorShape(64, 64, 3) });

        KerasFormat.LoadWeights(model, path);

        ApplicationWeightsFiles.AssertLoaded(model, written);
        Assert.Equal([0.229f, 0.224f, 0.225f], ((Normalization)model.GetLayer("normalization")).Variance!.Value.ToArray());
        Tensor images = Tensor.RandomUniform(new TensorShape(2, 64, 64, 3), seed: 1, 0f, 255f);
        Tensor features = model.Predict(images);
        Assert.Equal(new TensorShape(2, 2, 2, 1280), features.Shape);
        Assert.All(features.ToArray(), v => Assert.True(float.IsFinite(v)));

        // What stem_conv_pad receives: the original preprocessing (x / 255 - mean) / stddev per channel, computed here in double.
        float[] x = images.ToArray(), y = new Functional(model.Inputs[0], model.GetLayer("rescaling_1").Output).Predict(images).ToArray();
        double[] mean = [0.485, 0.456, 0.406], stddev = [0.229, 0.224, 0.225];
        for (int i = 0; i < x.Length; i++)
        {
            double expected = ((x[i] / 255.0) - mean[i % 3]) / stddev[i % 3];
            Assert.Equal(expected, y[i], 1e-5 * Math.Max(1, Math.Abs(expected)));
        }
    }

    // Keras 3's EfficientNetB0(weights=None) saves its normalization with count 0 and the initial statistics: loaded,
    // the layer passes values through as in Keras, and the model predicts as the one saved.
    [H5pyFact]
    public void LoadWeights_Keras3FileOfUnadaptedNormalization_PredictsAsTheSavedModel()
    {
        var options = new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3), Pooling = ApplicationPooling.Average };
        Functional saved = KerasApplications.EfficientNetB0(options);
        string path = Path.Combine(_folder, "b0.weights.h5");
        KerasFormat.SaveWeights(saved, path);
        Functional loaded = KerasApplications.EfficientNetB0(new ApplicationOptions { IncludeTop = false, InputShape = new TensorShape(32, 32, 3), Pooling = ApplicationPooling.Average, Seed = 9 });

        KerasFormat.LoadWeights(loaded, path);

        var normalization = (Normalization)loaded.GetLayer("normalization");
        Assert.Equal([0f], normalization.Count!.Value.ToArray());
        Assert.Equal([0f, 0f, 0f], normalization.Mean!.Value.ToArray());
        Assert.Equal([1f, 1f, 1f], normalization.Variance!.Value.ToArray());
        Tensor images = Tensor.RandomUniform(new TensorShape(2, 32, 32, 3), seed: 3, 0f, 255f);
        Assert.Equal(saved.Predict(images).ToArray(), loaded.Predict(images).ToArray());
    }

    // Keras' EfficientNetV2B0 file: its normalization is given ImageNet's mean and variance, so its group in the file
    // holds no weights (weight_names empty) and the legacy loader skips it, as Keras' does. The other layers' names and
    // shapes are taken from the model here (their order and shapes are checked against Keras' in the core tests).
    [H5pyFact]
    public void LoadWeights_KerasV2B0Layout_NormalizationWithoutWeights_Loads()
    {
        Functional model = KerasApplications.EfficientNetV2B0(new ApplicationOptions { IncludeTop = false, ImageNetWeights = true, InputShape = new TensorShape(32, 32, 3) });
        Assert.Empty(model.GetLayer("normalization").Parameters);
        var layers = new List<(string Layer, (string Name, int[] Shape, double[] Values)[] Weights)> { ("input_1", []) };
        var written = new Dictionary<string, double[][]>();
        int weight = 0;
        foreach (Layer layer in model.Layers)
        {
            var weights = layer.Parameters.Select(p => ($"{layer.Name}/{p.Name}:0", p.Value.Shape.Dimensions.ToArray(), Values(weight++, $"{layer.Name}/{p.Name}:0", p.Value.Shape.ElementCount))).ToArray();
            layers.Add((layer.Name, weights));
            written[layer.Name] = [.. weights.Select(w => w.Item3)];
        }

        Assert.Contains(layers, l => l.Layer == "normalization" && l.Weights.Length == 0);
        string path = Path.Combine(_folder, "efficientnetv2-b0_notop.h5");
        H5py.WriteLegacy(path, new Dictionary<string, string>(), "", layers);

        KerasFormat.LoadWeights(model, path);

        foreach (Layer layer in model.Layers.Where(l => l.Parameters.Count > 0))
        {
            for (int k = 0; k < layer.Parameters.Count; k++)
            {
                Assert.Equal(written[layer.Name][k].Select(v => (float)v).ToArray(), layer.Parameters[k].Value.ToArray());
            }
        }

        // The preprocessing still gives (x / 255 - mean) / stddev with ImageNet's mean and standard deviation.
        Tensor images = Tensor.RandomUniform(new TensorShape(1, 32, 32, 3), seed: 2, 0f, 255f);
        float[] x = images.ToArray(), y = new Functional(model.Inputs[0], model.GetLayer("normalization").Output).Predict(images).ToArray();
        double[] mean = [0.485, 0.456, 0.406], stddev = [0.229, 0.224, 0.225];
        for (int i = 0; i < x.Length; i++)
        {
            double expected = ((x[i] / 255.0) - mean[i % 3]) / stddev[i % 3];
            Assert.Equal(expected, y[i], 1e-5 * Math.Max(1, Math.Abs(expected)));
        }
    }
}
