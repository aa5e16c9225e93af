using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// Squeeze and Unsqueeze of computed tensors as torch.onnx writes them: <c>x.squeeze(-1).squeeze(-1)</c> after
/// AdaptiveAvgPool2d(1), a squeeze of axes [2, 3] after a kept-dims mean, a squeeze-and-excitation block's
/// <c>s.unsqueeze(-1).unsqueeze(-1)</c>, and an unsqueeze then squeeze that cancel; axes an attribute (opset 11) or an input (13).
/// </summary>
public sealed class ImportSqueezeTests
{
    private static string Squeeze(OnnxGraphs g, int opset, string x, params long[] axes) =>
        opset < 13 ? g.Node("Squeeze", [x], Ints("axes", axes)) : g.Node("Squeeze", [x, g.Int64s(axes)]);

    private static string Unsqueeze(OnnxGraphs g, int opset, string x, params long[] axes) =>
        opset < 13 ? g.Node("Unsqueeze", [x], Ints("axes", axes)) : g.Node("Unsqueeze", [x, g.Int64s(axes)]);

    [Theory]
    [InlineData(11, 3)]
    [InlineData(11, 1)]
    [InlineData(13, 3)]
    [InlineData(13, 1)]
    public void SqueezeAfterAdaptivePooling_MatchesOnnxRuntime(int opset, int batch)
    {
        // Conv2d - AdaptiveAvgPool2d(1) - x.squeeze(-1).squeeze(-1) - Linear; and torch.mean(x, (2, 3), keepdim=True).squeeze((2, 3)).
        var g = new OnnxGraphs(61);
        string x = g.Input("image", -1, 3, 6, 5);
        x = g.Node("Relu", [g.Node("Conv", [x, g.Weight([4, 3, 3, 3]), g.Weight([4])], Ints("kernel_shape", 3, 3))]);
        string pooled = Squeeze(g, opset, Squeeze(g, opset, g.Node("GlobalAveragePool", [x]), -1), -1);
        g.Output(g.Node("Gemm", [pooled, g.Weight([2, 4]), g.Weight([2])], Int("transB", 1)));
        string mean = g.Node("ReduceMean", [x], Ints("axes", 2, 3), Int("keepdims", 1));
        g.Output(g.Node("MatMul", [Squeeze(g, opset, mean, 2, 3), g.Weight([4, 3])]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset), "image", [batch, 3, 6, 5]);

        // Each squeeze of (N, 4, 1, 1) held as (1, 1, 4) is a Reshape to (4): no Permute.
        Assert.Empty(model.Layers.OfType<Permute>());
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void SqueezeAndExcitationBlock_MatchesOnnxRuntime(int opset)
    {
        // s = sigmoid(fc2(relu(fc1(pool(x).squeeze)))); x * s.unsqueeze(-1).unsqueeze(-1): (N, C, 1, 1) broadcast over the image.
        var g = new OnnxGraphs(62);
        string x = g.Input("image", -1, 4, 5, 5);
        string s = Squeeze(g, opset, g.Node("GlobalAveragePool", [x]), 2, 3);
        s = g.Node("Relu", [g.Node("Gemm", [s, g.Weight([2, 4]), g.Weight([2])], Int("transB", 1))]);
        s = g.Node("Sigmoid", [g.Node("Gemm", [s, g.Weight([4, 2]), g.Weight([4])], Int("transB", 1))]);
        s = Unsqueeze(g, opset, Unsqueeze(g, opset, s, -1), -1);
        g.Output(g.Node("Mul", [x, s]));

        foreach (int batch in new[] { 3, 1 })
        {
            ImportChecks.AssertMatchesRuntime(g.ToBytes(opset), "image", [batch, 4, 5, 5]);
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void UnsqueezeThenSqueezeOfTheSameAxis_Cancel_MatchingOnnxRuntime(int opset)
    {
        // (N, 6) -> (N, 1, 6) -> (N, 6): no layer; (N, 6) -> (N, 6, 1) -> (N, 1, 6, 1) -> (N, 6, 1): one Reshape.
        var g = new OnnxGraphs(63);
        string x = g.Node("Tanh", [g.Input("x", -1, 6)]);
        g.Output(g.Node("Gemm", [Squeeze(g, opset, Unsqueeze(g, opset, x, 1), 1), g.Weight([3, 6])], Int("transB", 1)));
        g.Output(Squeeze(g, opset, Unsqueeze(g, opset, Unsqueeze(g, opset, x, 2), 1), 1));

        foreach (int batch in new[] { 3, 1 })
        {
            Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset), "x", [batch, 6]);

            Assert.Equal([6, 1], Assert.Single(model.Layers.OfType<Reshape>()).TargetShape.ToArray());
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void SqueezeOfAnImagesChannelOrHeight_ThroughAPermute_MatchesOnnxRuntime(int opset)
    {
        // x.squeeze(1) of a one-channel (N, 1, 5, 6) image and squeeze(-2) of a (N, 3, 1, 6) feature map, both wider than 1:
        // the image is held channels last, so ONNX's element order needs a Permute before the Reshape; and an unsqueeze of
        // the last axis back into an image (N, 3, 6, 1).
        var g = new OnnxGraphs(63);
        string x = g.Node("Relu", [g.Input("x", -1, 1, 5, 6)]);
        g.Output(g.Node("MatMul", [Squeeze(g, opset, x, 1), g.Weight([6, 3])]));
        string c = g.Node("Conv", [x, g.Weight([3, 1, 5, 1]), g.Weight([3])], Ints("kernel_shape", 5, 1));
        g.Output(g.Node("MatMul", [Squeeze(g, opset, c, -2), g.Weight([6, 2])]));
        g.Output(Unsqueeze(g, opset, Squeeze(g, opset, c, 2), -1));

        foreach (int batch in new[] { 3, 1 })
        {
            Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset), "x", [batch, 1, 5, 6]);

            Assert.NotEmpty(model.Layers.OfType<Permute>());
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void UnsqueezeOfASequenceIntoAnImage_ThenConv_MatchesOnnxRuntime(int opset)
    {
        // x.unsqueeze(1) of (N, 5, 6) into a one-channel (N, 1, 5, 6) image read by a Conv: a Reshape then a Permute to channels last.
        var g = new OnnxGraphs(64);
        string x = g.Node("Tanh", [g.Input("x", -1, 5, 6)]);
        g.Output(g.Node("Conv", [Unsqueeze(g, opset, x, 1), g.Weight([2, 1, 3, 3]), g.Weight([2])], Ints("kernel_shape", 3, 3)));

        foreach (int batch in new[] { 3, 1 })
        {
            Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset), "x", [batch, 5, 6]);

            Assert.NotEmpty(model.Layers.OfType<Permute>());
            Assert.Single(model.Layers.OfType<Conv2D>());
        }
    }

    [Theory]
    [InlineData("batch", "(Squeeze): axes [0] of input [N, 4, 1, 1] squeeze the batch axis", false)]
    [InlineData("not_one", "(Squeeze): axes [1] squeeze axis 1 of input [N, 4, 1, 1], whose length is 4, not 1", true)]
    [InlineData("no_axes", "(Squeeze): it gives no axes on input [N, 4, 1, 1]", false)]
    [InlineData("unsqueeze_batch", "(Unsqueeze): axes [0] insert an axis before the batch axis of input [N, 4, 1, 1]", false)]
    public void SqueezeOfTheBatchOrOfALongAxis_IsRefused_NamingTheNodeAndTheShape(string variant, string expected, bool invalid)
    {
        var g = new OnnxGraphs(64);
        string x = g.Node("GlobalAveragePool", [g.Input("image", -1, 4, 3, 3)]);
        string y = variant switch
        {
            "batch" => g.Node("Squeeze", [x, g.Int64s(0)]),
            "not_one" => g.Node("Squeeze", [x, g.Int64s(1)]),
            "no_axes" => g.Node("Squeeze", [x]),
            _ => g.Node("Unsqueeze", [x, g.Int64s(0)]),
        };
        g.Output(y);

        Exception error = invalid
            ? Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes(opset: 13)))
            : Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(opset: 13)));
        Assert.Contains($"node '/{(variant == "unsqueeze_batch" ? "unsqueeze" : "squeeze")}_{y[1..]}' {expected}", error.Message, StringComparison.Ordinal);
    }
}
