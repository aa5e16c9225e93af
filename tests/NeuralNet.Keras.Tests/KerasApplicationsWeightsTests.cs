using NeuralNet.Applications;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// A Keras 2 weights-only file laid out as Keras' published application weights are (mobilenet_v2_weights_tf_dim_ordering_tf_kernels_*.h5:
/// <c>layer_names</c> in the model's topological order, a group per layer with <c>weight_names</c>), written with h5py,
/// loads into the model <see cref="KerasApplications.MobileNetV2"/> builds.
/// </summary>
public sealed class KerasApplicationsWeightsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("neuralnet-applications-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly (int Filters, int Stride, int Expansion)[] KerasBlocks =
    [
        (16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
        (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6),
    ];

    private static int Divisible(double v)
    {
        int n = Math.Max(8, (int)Math.Floor((v + 4) / 8) * 8);
        return n < 0.9 * v ? n + 8 : n;
    }

    // Every layer of Keras' MobileNetV2(alpha, include_top=True, classes) in model.layers order, with its Keras 2 weights
    // (name, shape), written out from mobilenet_v2.py (not computed by the code under test).
    private static List<(string Layer, (string Name, int[] Shape)[] Weights)> KerasLayers(double alpha, int classes)
    {
        var layers = new List<(string, (string, int[])[])>();
        void Conv(string name, int kh, int cin, int cout) => layers.Add((name, [($"{name}/kernel:0", [kh, kh, cin, cout])]));
        void Depthwise(string name, int c) => layers.Add((name, [($"{name}/depthwise_kernel:0", [3, 3, c, 1])]));
        void Norm(string name, int c) => layers.Add((name, [($"{name}/gamma:0", [c]), ($"{name}/beta:0", [c]), ($"{name}/moving_mean:0", [c]), ($"{name}/moving_variance:0", [c])]));
        void Plain(string name) => layers.Add((name, []));

        int c = Divisible(32 * alpha);
        Plain("input_1");
        Conv("Conv1", 3, 3, c);
        Norm("bn_Conv1", c);
        Plain("Conv1_relu");
        for (int id = 0; id < KerasBlocks.Length; id++)
        {
            var (filters, stride, expansion) = KerasBlocks[id];
            int pointwise = Divisible((int)(filters * alpha));
            string prefix = id == 0 ? "expanded_conv_" : $"block_{id}_";
            int expanded = c;
            if (id != 0)
            {
                expanded = expansion * c;
                Conv(prefix + "expand", 1, c, expanded);
                Norm(prefix + "expand_BN", expanded);
                Plain(prefix + "expand_relu");
            }

            if (stride == 2)
            {
                Plain(prefix + "pad");
            }

            Depthwise(prefix + "depthwise", expanded);
            Norm(prefix + "depthwise_BN", expanded);
            Plain(prefix + "depthwise_relu");
            Conv(prefix + "project", 1, expanded, pointwise);
            Norm(prefix + "project_BN", pointwise);
            if (c == pointwise && stride == 1)
            {
                Plain(prefix + "add");
            }

            c = pointwise;
        }

        int last = alpha > 1 ? Divisible(1280 * alpha) : 1280;
        Conv("Conv_1", 1, c, last);
        Norm("Conv_1_bn", last);
        Plain("out_relu");
        Plain("global_average_pooling2d");
        layers.Add(("predictions", [("predictions/kernel:0", [last, classes]), ("predictions/bias:0", [classes])]));
        return layers;
    }

    private string WriteKerasFile(double alpha, int classes, out Dictionary<string, double[][]> written)
    {
        string path = Path.Combine(_folder, $"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_96.h5");
        written = ApplicationWeightsFiles.Write(path, KerasLayers(alpha, classes));
        return path;
    }

    [H5pyFact]
    public void LoadWeights_KerasPublishedLayout_LoadsIntoMobileNetV2()
    {
        string path = WriteKerasFile(0.35, 10, out Dictionary<string, double[][]> written);
        Functional model = KerasApplications.MobileNetV2(new ApplicationOptions { InputShape = new TensorShape(96, 96, 3), Classes = 10 }, alpha: 0.35);

        KerasFormat.LoadWeights(model, path);

        ApplicationWeightsFiles.AssertLoaded(model, written);   // 52 convolutions + 52 batch normalizations + predictions
        Tensor probabilities = model.Predict(ImageNetPreprocessing.Tf(Tensor.RandomUniform(new TensorShape(2, 96, 96, 3), seed: 1, 0f, 255f)));
        Assert.All(probabilities.ToArray(), p => Assert.True(float.IsFinite(p) && p >= 0f));
    }

    [H5pyFact]
    public void LoadWeights_KerasFileOfAnotherAlpha_IsRefusedNamingTheShapes()
    {
        string path = WriteKerasFile(0.35, 10, out _);
        Functional model = KerasApplications.MobileNetV2(new ApplicationOptions { InputShape = new TensorShape(32, 32, 3), Classes = 10 }, alpha: 0.5);
        float[] before = model.GetLayer("Conv1").Parameters[0].Value.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));

        // 24 * 0.35 rounds to 8 filters, 24 * 0.5 to 16: block_1_project is the first layer whose shape differs.
        Assert.Contains("block_1_project/kernel:0", error.Message);
        Assert.Contains("parameter 'kernel' (1, 1, 48, 16) of layer 'block_1_project'", error.Message);
        Assert.Equal(before, model.GetLayer("Conv1").Parameters[0].Value.ToArray());
    }
}
