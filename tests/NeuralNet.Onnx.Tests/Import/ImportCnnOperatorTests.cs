using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// Operators of PyTorch's CNN exports (MobileNet-like): per-channel normalisation constants, Clip as ReLU6 and as bounds,
/// Pad, HardSwish, HardSigmoid, ReduceMean over H and W.
/// </summary>
public sealed class ImportCnnOperatorTests
{
    [Fact]
    public void MobileNetStyleBlocks_MatchOnnxRuntime()
    {
        var g = new OnnxGraphs(51);
        string x = g.Input("image", -1, 3, 8, 8);
        // (x - mean) / std with torchvision's per-channel constants, shaped (1, 3, 1, 1) and (3, 1, 1).
        x = g.Node("Sub", [x, g.Weight([1, 3, 1, 1])]);
        x = g.Node("Div", [x, g.Weight([3, 1, 1], positive: true)]);
        x = g.Node("Conv", [x, g.Weight([4, 3, 3, 3]), g.Weight([4])], Ints("kernel_shape", 3, 3));
        x = g.Node("Clip", [x, g.Scalar(0f), g.Scalar(6f)]);
        x = g.Node("Pad", [x, g.Int64s(0, 0, 1, 2, 0, 0, 2, 1)], String("mode", "constant"));
        x = g.Node("Conv", [x, g.Weight([5, 4, 3, 3]), g.Weight([5])], Ints("kernel_shape", 3, 3));
        x = g.Node("HardSwish", [x]);
        x = g.Node("Mul", [x, g.Weight([5, 1, 1], scale: 2f)]);
        x = g.Node("Sub", [g.Weight([1, 5, 1, 1]), x]);
        x = g.Node("HardSigmoid", [x], Float("alpha", 1f / 6), Float("beta", 0.5f));
        x = g.Node("Clip", [x, g.Scalar(0.3f), g.Scalar(0.7f)]);
        x = g.Node("ReduceMean", [x], Ints("axes", 2, 3), Int("keepdims", 0));
        g.Output(g.Node("Gemm", [x, g.Weight([2, 5]), g.Weight([2])], Int("transB", 1)));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 14), "image", [2, 3, 8, 8]);

        Assert.Equal(6f, Assert.Single(model.Layers.OfType<ReLU>()).MaxValue);
        Assert.Single(model.Layers.OfType<ZeroPadding2D>());
        Assert.Single(model.Layers.OfType<GlobalAveragePooling2D>());
        // The four per-channel constants: frozen BatchNormalizations, whose values training leaves as they are.
        BatchNormalization[] constants = [.. model.Layers.OfType<BatchNormalization>()];
        Assert.Equal(4, constants.Length);
        Assert.All(constants, layer => Assert.False(layer.Trainable));
        Assert.Single(model.Layers.OfType<Clip>());
        // Only the two Convs' and the Gemm's weights train: 4·3·3·3 + 4, 5·4·3·3 + 5 and 2·5 + 2.
        Assert.Equal((4 * 3 * 3 * 3) + 4 + (5 * 4 * 3 * 3) + 5 + (2 * 5) + 2, model.TrainableParameterCount);
    }

    [Fact]
    public void OnnxDefaultHardSigmoid_ClipWithMinOnly_AndKeptDimsMean_MatchOnnxRuntime()
    {
        var g = new OnnxGraphs(52);
        string x = g.Input("image", -1, 2, 4, 5);
        x = g.Node("HardSigmoid", [g.Node("Mul", [x, g.Scalar(4f)])]);
        x = g.Node("Clip", [x, g.Scalar(0f)]);
        x = g.Node("Clip", [x, string.Empty, g.Scalar(0.6f)]);
        g.Output(g.Node("ReduceMean", [x], Ints("axes", -1, -2)));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 13), "image", [3, 2, 4, 5]);

        Assert.Null(Assert.Single(model.Layers.OfType<ReLU>()).MaxValue);
    }

    [Theory]
    [InlineData(13)]
    [InlineData(18)]
    public void ReduceMeanOverOtherAxes_AndDivOfTwoTensors_MatchOnnxRuntime(int opset)
    {
        // Means over the channels, the width, and channels and height dropped; x divided by a computed (broadcast) tensor.
        var g = new OnnxGraphs(54);
        string Mean(string v, long[] axes, long keepDims) => opset >= 18
            ? g.Node("ReduceMean", [v, g.Int64s(axes)], Int("keepdims", keepDims))
            : g.Node("ReduceMean", [v], Ints("axes", axes), Int("keepdims", keepDims));
        string x = g.Input("image", -1, 3, 4, 5);
        string d = g.Node("Div", [x, g.Node("Exp", [Mean(x, [1], 1)])]);
        string e = g.Node("Sub", [d, Mean(d, [-1], 1)]);
        g.Output(Mean(e, [1], 0));
        g.Output(Mean(e, [2, 1], 0));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset), "image", [2, 3, 4, 5]);

        Assert.Equal(4, model.Layers.OfType<Reduce>().Count());
        Assert.Single(model.Layers.OfType<Divide>());
    }

    [Theory]
    [InlineData("reflect_pad", "(Pad): attribute mode='reflect'")]
    [InlineData("batch_mean", "(ReduceMean): axes [0, 1] of [N, 3, 4, 4] take in the batch axis")]
    [InlineData("all_mean", "(ReduceMean): axes (all) of [N, 3, 4, 4] take in the batch axis")]
    [InlineData("height_mean_dropped", "(ReduceMean): axes [2] of [N, 3, 4, 4] without keepdims leave the channels and a spatial axis")]
    [InlineData("map_constant", "is a constant of dimensions [3, 4, 4]")]
    public void CnnOperatorOutsideTheSupportedForms_IsRefused_NamingIt(string variant, string expected)
    {
        var g = new OnnxGraphs(53);
        string x = g.Input("image", -1, 3, 4, 4);
        g.Output(variant switch
        {
            "reflect_pad" => g.Node("Pad", [x, g.Int64s(0, 0, 1, 1, 0, 0, 1, 1)], String("mode", "reflect")),
            "batch_mean" => g.Node("ReduceMean", [x], Ints("axes", 0, 1)),
            "all_mean" => g.Node("ReduceMean", [x]),
            "height_mean_dropped" => g.Node("ReduceMean", [x], Ints("axes", 2), Int("keepdims", 0)),
            _ => g.Node("Add", [x, g.Weight([3, 4, 4])]),
        });

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(opset: 13)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
