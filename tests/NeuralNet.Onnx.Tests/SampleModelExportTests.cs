using Xunit;
using NeuralNet.Activations;
using NeuralNet.Experiments;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Samples.GraphModels;
using NeuralNet.Samples.Onnx;
using NeuralNet.Samples.Sequences;

namespace NeuralNet.Onnx.Tests;

/// <summary>Every model the samples build, exported with random weights and compared with Predict in ONNX Runtime.</summary>
public sealed class SampleModelExportTests
{
    public static readonly IReadOnlyDictionary<string, Func<Model>> Models = new Dictionary<string, Func<Model>>
    {
        // samples/QuickStart/Program.cs builds this model inline (a top-level program exposes no builder).
        ["quickstart_784_512_10"] = () =>
        {
            var model = new Sequential(seed: 42);
            model.Add(new InputLayer(784));
            model.Add(new Dense(512, ActivationFunction.Relu));
            model.Add(new Dense(10, ActivationFunction.Softmax));
            return model;
        },
        ["experiments_mlp_relu_128_64"] = () => ModelZoo.Mlp(1, [128, 64], ActivationFunction.Relu),
        ["experiments_mlp_sigmoid_512"] = () => ModelZoo.Mlp(1, [512], ActivationFunction.Sigmoid),
        ["experiments_mlp_linear_512"] = () => ModelZoo.Mlp(1, [512], null),
        ["experiments_mlp_dropout_512_128"] = () => ModelZoo.Mlp(1, [512, 128], ActivationFunction.Relu, dropout: 0.3),
        ["experiments_granada_cnn"] = () => ModelZoo.GranadaCnn(1),
        ["experiments_e3_3_five_classes"] = () =>
        {
            // Document3.E33 builds it inline: 784 -> 512 linear -> 5 softmax.
            var model = new Sequential(seed: 1);
            model.Add(new InputLayer(784));
            model.Add(new Dense(512));
            model.Add(new Dense(5, ActivationFunction.Softmax));
            return model;
        },
        ["functional_digit_pairs"] = () => PairModel.Build(),
        ["functional_residual_cnn"] = () => ResidualCnn.Build(),
        ["onnx_export_mnist_cnn"] = () => MnistCnn.Build(),
        ["sequences_mnist_rows_lstm"] = () => MnistRows.Build(),
    };

    public static TheoryData<string> Names => [.. Models.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void Sample_model_matches_predict(string name) =>
        OnnxRoundTrip.AssertMatchesPredict(Models[name]().Randomized(), batch: 4);
}
