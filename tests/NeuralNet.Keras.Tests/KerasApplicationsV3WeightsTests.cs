using NeuralNet.Applications;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// Keras 2 weights-only files laid out as Keras' published DenseNet and MobileNetV3 weights are (<c>layer_names</c> in
/// <c>model.layers</c> order, a group per layer with <c>weight_names</c>), written with h5py, load into the models
/// <see cref="KerasApplications.DenseNet121"/> and <see cref="KerasApplications.MobileNetV3Small"/> build.
/// </summary>
public sealed class KerasApplicationsV3WeightsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("neuralnet-applications-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private sealed class Layers
    {
        public List<(string Layer, (string Name, int[] Shape)[] Weights)> List { get; } = [];

        public void Conv(string name, int kh, int cin, int cout, bool bias = false) =>
            List.Add((name, bias ? [($"{name}/kernel:0", [kh, kh, cin, cout]), ($"{name}/bias:0", [cout])] : [($"{name}/kernel:0", [kh, kh, cin, cout])]));

        public void Depthwise(string name, int k, int c) => List.Add((name, [($"{name}/depthwise_kernel:0", [k, k, c, 1])]));

        public void Norm(string name, int c) =>
            List.Add((name, [($"{name}/gamma:0", [c]), ($"{name}/beta:0", [c]), ($"{name}/moving_mean:0", [c]), ($"{name}/moving_variance:0", [c])]));

        public void Dense(string name, int units, int inputs) => List.Add((name, [($"{name}/kernel:0", [inputs, units]), ($"{name}/bias:0", [units])]));

        public void Plain(string name) => List.Add((name, []));
    }

    // Keras' DenseNet121(classes) layers with their Keras 2 weights, written out from densenet.py.
    private static Layers DenseNet121(int classes)
    {
        var l = new Layers();
        l.Plain("input_1");
        l.Plain("zero_padding2d");
        l.Conv("conv1_conv", 7, 3, 64);
        l.Norm("conv1_bn", 64);
        l.Plain("conv1_relu");
        l.Plain("zero_padding2d_1");
        l.Plain("pool1");
        int c = 64;
        int[] blocks = [6, 12, 24, 16];
        for (int stage = 0; stage < 4; stage++)
        {
            for (int b = 1; b <= blocks[stage]; b++)
            {
                string name = $"conv{stage + 2}_block{b}";
                l.Norm(name + "_0_bn", c);
                l.Plain(name + "_0_relu");
                l.Conv(name + "_1_conv", 1, c, 128);
                l.Norm(name + "_1_bn", 128);
                l.Plain(name + "_1_relu");
                l.Conv(name + "_2_conv", 3, 128, 32);
                l.Plain(name + "_concat");
                c += 32;
            }

            if (stage < 3)
            {
                string name = $"pool{stage + 2}";
                l.Norm(name + "_bn", c);
                l.Plain(name + "_relu");
                l.Conv(name + "_conv", 1, c, c / 2);
                l.Plain(name + "_pool");
                c /= 2;
            }
        }

        l.Norm("bn", c);
        l.Plain("relu");
        l.Plain("avg_pool");
        l.Dense("predictions", classes, c);
        return l;
    }

    private static int Depth(double v)
    {
        int n = Math.Max(8, (int)Math.Floor((v + 4) / 8) * 8);
        return n < 0.9 * v ? n + 8 : n;
    }

    // Keras' MobileNetV3Small(classes) layers with weights (the ones without weights do not count for a weights file),
    // written out from mobilenet_v3.py: (expansion, filters, kernel, stride, squeeze and excite) per block.
    private static Layers MobileNetV3Small(int classes)
    {
        (double E, int F, int K, int S, bool Se)[] blocks =
        [
            (1, 16, 3, 2, true), (72.0 / 16, 24, 3, 2, false), (88.0 / 24, 24, 3, 1, false), (4, 40, 5, 2, true), (6, 40, 5, 1, true),
            (6, 40, 5, 1, true), (3, 48, 5, 1, true), (3, 48, 5, 1, true), (6, 96, 5, 2, true), (6, 96, 5, 1, true), (6, 96, 5, 1, true),
        ];
        var l = new Layers();
        l.Conv("conv", 3, 3, 16);
        l.Norm("conv_bn", 16);
        int c = 16;
        for (int id = 0; id < blocks.Length; id++)
        {
            var (e, f, k, _, se) = blocks[id];
            string prefix = id == 0 ? "expanded_conv_" : $"expanded_conv_{id}_";
            int expanded = Depth(c * e), channels = c;
            if (id != 0)
            {
                channels = expanded;
                l.Conv(prefix + "expand", 1, c, expanded);
                l.Norm(prefix + "expand_bn", expanded);
            }

            l.Depthwise(prefix + "depthwise", k, channels);
            l.Norm(prefix + "depthwise_bn", channels);
            if (se)
            {
                int squeezed = Depth(expanded * 0.25);
                l.Conv(prefix + "squeeze_excite_conv", 1, expanded, squeezed, bias: true);
                l.Conv(prefix + "squeeze_excite_conv_1", 1, squeezed, expanded, bias: true);
            }

            l.Conv(prefix + "project", 1, channels, f);
            l.Norm(prefix + "project_bn", f);
            c = f;
        }

        l.Conv("conv_1", 1, c, c * 6);
        l.Norm("conv_1_bn", c * 6);
        l.Conv("conv_2", 1, c * 6, 1024, bias: true);
        l.Conv("logits", 1, 1024, classes, bias: true);
        return l;
    }

    private string Write(Layers keras, string file, out Dictionary<string, double[][]> written)
    {
        string path = Path.Combine(_folder, file);
        written = ApplicationWeightsFiles.Write(path, keras.List);
        return path;
    }

    [H5pyFact]
    public void LoadWeights_KerasPublishedLayout_LoadsIntoDenseNet121()
    {
        string path = Write(DenseNet121(10), "densenet121_weights_tf_dim_ordering_tf_kernels.h5", out Dictionary<string, double[][]> written);
        Functional model = KerasApplications.DenseNet121(new ApplicationOptions { InputShape = new TensorShape(32, 32, 3), Classes = 10 });

        KerasFormat.LoadWeights(model, path);

        ApplicationWeightsFiles.AssertLoaded(model, written);
        Tensor probabilities = model.Predict(ImageNetPreprocessing.Torch(Tensor.RandomUniform(new TensorShape(2, 32, 32, 3), seed: 1, 0f, 255f)));
        Assert.All(probabilities.ToArray(), p => Assert.True(float.IsFinite(p) && p >= 0f));
    }

    [H5pyFact]
    public void LoadWeights_KerasPublishedLayout_LoadsIntoMobileNetV3Small()
    {
        // The file lists the layers with weights only: layers without weights (and Keras' operations) take none.
        string path = Write(MobileNetV3Small(10), "weights_mobilenet_v3_small_224_1.0_float.h5", out Dictionary<string, double[][]> written);
        Functional model = KerasApplications.MobileNetV3Small(new ApplicationOptions { InputShape = new TensorShape(32, 32, 3), Classes = 10 });

        KerasFormat.LoadWeights(model, path);

        ApplicationWeightsFiles.AssertLoaded(model, written);
        Tensor probabilities = model.Predict(Tensor.RandomUniform(new TensorShape(2, 32, 32, 3), seed: 1, 0f, 255f));
        Assert.All(probabilities.ToArray(), p => Assert.True(float.IsFinite(p) && p >= 0f));
    }
}
