using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// Opsets 11 and 12, PyTorch 1.x's defaults: Unsqueeze's axes an attribute (symbolic_opset11), Dropout's ratio an attribute
/// (before 12), Softmax over the input flattened to 2-D around its axis (default 1, before 13).
/// </summary>
public sealed class ImportOldOpsetTests
{
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void TorchCnnOfOpset11Or12_MatchesOnnxRuntime(int opset)
    {
        // Conv2d(2, 3, 2) - ReLU - Dropout(0.3) - x.view(x.size(0), -1) - Linear(36, 4) - Softmax(dim=1).
        var g = new OnnxGraphs(41);
        string x = g.Input("image", -1, 2, 5, 4);
        x = g.Node("Relu", [g.Node("Conv", [x, g.Weight([3, 2, 2, 2]), g.Weight([3])], Ints("kernel_shape", 2, 2))]);
        x = opset == 11 ? g.Node("Dropout", [x], Float("ratio", 0.3f)) : g.Node("Dropout", [x, g.Scalar(0.3f)]);
        string batch = g.Node("Gather", [g.Node("Shape", [x]), g.ConstantScalar(0)], Int("axis", 0));
        string shape = g.Node("Concat", [g.Node("Unsqueeze", [batch], Ints("axes", 0)), g.ConstantNode(-1)], Int("axis", 0));
        x = g.Node("Gemm", [g.Node("Reshape", [x, shape]), g.Weight([4, 36]), g.Weight([4])], Int("transB", 1));
        g.Output(g.Node("Softmax", [x], Int("axis", 1)));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset), "image", [3, 2, 5, 4]);

        Assert.Equal(0.3, Assert.Single(model.Layers.OfType<Dropout>()).Rate, 6);
    }

    [Fact]
    public void Opset11SoftmaxOfPooledImages_IsTheChannelSoftmax_MatchingOnnxRuntime()
    {
        // (N, C, 1, 1) flattened at axis 1 is the softmax over C, NeuralNet's last axis of (N, 1, 1, C).
        var g = new OnnxGraphs(42);
        string x = g.Node("GlobalAveragePool", [g.Input("image", -1, 5, 3, 3)]);
        g.Output(g.Node("Softmax", [x]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 11), "image", [2, 5, 3, 3]);

        Assert.Contains(Assert.Single(Assert.Single(model.Layers.OfType<Softmax>()).Axes.ToArray()), new[] { -1, 3 });
    }

    [Fact]
    public void Opset11SoftmaxOverSeveralAxes_IsRefused_NamingTheAxis()
    {
        var g = new OnnxGraphs(43);
        string y = g.Node("Softmax", [g.Input("x", -1, 3, 4)], Int("axis", 1));
        g.Output(y);

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(opset: 11)));
        Assert.Contains($"node '/softmax_{y[1..]}' (Softmax): attribute axis=1 at opset 11 takes one softmax over axes 1 to 2 of [N, 3, 4] together", error.Message, StringComparison.Ordinal);
    }
}
