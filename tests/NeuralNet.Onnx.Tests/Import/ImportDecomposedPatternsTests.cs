using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// GELU and LayerNorm as opsets before 20 and 17 write them: torch.onnx's symbolic_opset9 <c>gelu</c> (Div by √2, Erf,
/// Add 1, Mul x, Mul 0.5; the tanh form x·x·x, 0.044715, √(2/π)) and <c>native_layer_norm</c> (ReduceMean, Sub, Pow 2,
/// ReduceMean, Add eps, Sqrt, Div, Mul gamma, Add beta), and Hugging Face's orderings of the same products.
/// </summary>
public sealed class ImportDecomposedPatternsTests
{
    [Theory]
    [InlineData("torch_erf", false)]
    [InlineData("hf_erf", false)]
    [InlineData("torch_tanh", true)]
    [InlineData("pow_tanh", true)]
    public void DecomposedGelu_ImportsAsOneGeluActivation_MatchingOnnxRuntime(string variant, bool approximate)
    {
        var g = new OnnxGraphs(31);
        string x = g.Input("x", -1, 6);
        string h = g.Node("MatMul", [x, g.Weight([6, 5], scale: 1.5f)]);
        string gelu = variant switch
        {
            // 0.5 * (h * (1 + erf(h / sqrt(2)))), symbolic_opset9.gelu
            "torch_erf" => g.Node("Mul", [g.Node("Mul", [h, g.Node("Add", [g.Node("Erf", [g.Node("Div", [h, g.Scalar(1.4142135623730951f)])]), g.Scalar(1f)])]), g.Scalar(0.5f)]),
            // h * 0.5 * (1.0 + erf(h * 0.7071067811865476))
            "hf_erf" => g.Node("Mul", [g.Node("Mul", [h, g.Scalar(0.5f)]), g.Node("Add", [g.Scalar(1f), g.Node("Erf", [g.Node("Mul", [h, g.Scalar(0.7071067811865476f)])])])]),
            _ => TanhGelu(g, h, variant == "pow_tanh"),
        };
        g.Output(g.Node("MatMul", [gelu, g.Weight([5, 3])]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 13), "x", [4, 6]);

        Gelu function = Assert.IsType<Gelu>(Assert.Single(model.Layers.OfType<Activation>()).Function);
        Assert.Equal(approximate, function.Approximate);
        Assert.Empty(model.Layers.OfType<ElementwiseMath>());
        Assert.Empty(model.Layers.OfType<ScalarArithmetic>());
    }

    [Theory]
    [InlineData("affine", 13)]
    [InlineData("plain", 18)]
    [InlineData("gamma_only", 13)]
    public void DecomposedLayerNorm_ImportsAsLayerNormalization_MatchingOnnxRuntime(string variant, int opset)
    {
        // nn.LayerNorm(8, eps=1e-5) on (N, 4, 8) at opset 13 (ReduceMean's axes an attribute) or 18 (an input).
        var g = new OnnxGraphs(32);
        string x = g.Input("x", -1, 4, 8);
        x = g.Node("MatMul", [x, g.Weight([8, 8], scale: 1.5f)]);
        string y = LayerNorm(g, x, opset, axis: -1, gamma: variant != "plain", beta: variant == "affine");
        g.Output(g.Node("Relu", [y]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset), "x", [3, 4, 8]);

        LayerNormalization norm = Assert.Single(model.Layers.OfType<LayerNormalization>());
        Assert.Equal(1e-5f, norm.Epsilon);
        Assert.Equal(variant != "plain", norm.Scale);
        Assert.Equal(variant == "affine", norm.Center);
        Assert.Empty(model.Layers.OfType<ElementwiseMath>());
    }

    [Fact]
    public void GeluLikeSubgraphWithAnotherFactor_ImportsNodeByNode_MatchingOnnxRuntime()
    {
        // 0.6 · h · (1 + erf(h / √2)) is no GELU: Div, Erf, Add, Mul and Mul import one by one.
        var g = new OnnxGraphs(33);
        string h = g.Input("h", -1, 5);
        g.Output(g.Node("Mul", [g.Node("Mul", [h, g.Node("Add", [g.Node("Erf", [g.Node("Div", [h, g.Scalar(1.4142135623730951f)])]), g.Scalar(1f)])]), g.Scalar(0.6f)]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 13), "h", [4, 5]);

        Assert.Empty(model.Layers.OfType<Activation>());
        Assert.Equal(ElementwiseFunction.Erf, Assert.Single(model.Layers.OfType<ElementwiseMath>()).Function);
        Assert.Single(model.Layers.OfType<Multiply>());
    }

    [Fact]
    public void ElementwiseOperators_ImportOneByOne_MatchingOnnxRuntime()
    {
        // -exp(log(sqrt(|x|) + 1)) ** 2 / 3, then erf
        var g = new OnnxGraphs(34);
        string x = g.Input("x", -1, 7);
        x = g.Node("Add", [g.Node("Sqrt", [g.Node("Abs", [x])]), g.Scalar(1f)]);
        x = g.Node("Neg", [g.Node("Exp", [g.Node("Log", [x])])]);
        x = g.Node("Erf", [g.Node("Div", [g.Node("Pow", [x, g.Scalar(2f)]), g.Scalar(3f)])]);
        g.Output(x);

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 13), "x", [3, 7]);

        Assert.Equal(6, model.Layers.OfType<ElementwiseMath>().Count());
    }

    [Fact]
    public void DecomposedLayerNormOverAnotherAxis_IsRefused_NamingTheNodeAndTheAxis()
    {
        var g = new OnnxGraphs(35);
        string x = g.Input("x", -1, 4, 8);
        string y = LayerNorm(g, x, 13, axis: 1, gamma: false, beta: false);
        g.Output(y);

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(opset: 13)));
        Assert.Contains($"node '/div_{y[1..]}' (Div): it ends a LayerNorm written as ReduceMean, Sub, Pow, Sqrt and Div over axis 1 of [N, 4, 8]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-3)]
    public void ChannelsFirstLayerNormOfAnImage_ImportsAsLayerNormalizationOfTheLastAxis_MatchingOnnxRuntime(long axis)
    {
        // ConvNeXt's channels-first LayerNorm: the means over axis 1 of (N, C, H, W), gamma and beta (C, 1, 1).
        var g = new OnnxGraphs(37);
        string x = g.Input("image", -1, 4, 3, 5);
        x = g.Node("Conv", [x, g.Weight([6, 4, 1, 1])]);
        g.Output(g.Node("Relu", [LayerNorm(g, x, 13, axis, gamma: true, beta: true, weightDims: [6, 1, 1])]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 13), "image", [2, 4, 3, 5]);

        LayerNormalization norm = Assert.Single(model.Layers.OfType<LayerNormalization>());
        Assert.Equal([-1], norm.Axes);
    }

    [Fact]
    public void LayerNormOverTheWidthOfAnImage_IsRefused_NamingTheAxis()
    {
        var g = new OnnxGraphs(38);
        string x = g.Input("image", -1, 4, 3, 8);
        string y = LayerNorm(g, x, 13, axis: -1, gamma: true, beta: false);
        g.Output(y);

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(opset: 13)));
        Assert.Contains("over axis -1 of [N, 4, 3, 8]; NeuralNet.Onnx imports layer normalization over the last axis, or over the channels of an (N, C, H, W) image", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LayerNormWhoseCentredValueIsAlsoAnOutput_ImportsNodeByNode_MatchingOnnxRuntime()
    {
        // The centred value x − mean is read outside the pattern: no match; ReduceMean, Div of two tensors and the
        // per-feature gamma and beta import one by one.
        var g = new OnnxGraphs(36);
        string x = g.Input("x", -1, 8);
        g.Output(LayerNorm(g, x, 13, axis: -1, gamma: true, beta: true));
        string centred = g.Graph.Node.Single(n => n.OpType == "Sub").Output[0];
        g.Output(centred);

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 13), "x", [3, 8]);

        Assert.Empty(model.Layers.OfType<LayerNormalization>());
        Assert.Equal(2, model.Layers.OfType<Reduce>().Count());
        Assert.Single(model.Layers.OfType<Divide>());
    }

    private static string TanhGelu(OnnxGraphs g, string h, bool pow)
    {
        // 0.5 * (h * (1 + tanh(sqrt(2/pi) * (h + 0.044715 * h^3)))), symbolic_opset9.gelu(approximate='tanh')
        string cube = pow ? g.Node("Pow", [h, g.Scalar(3f)]) : g.Node("Mul", [h, g.Node("Mul", [h, h])]);
        string inner = g.Node("Mul", [g.Scalar(0.7978845608028654f), g.Node("Add", [h, g.Node("Mul", [g.Scalar(0.044715f), cube])])]);
        return g.Node("Mul", [g.Scalar(0.5f), g.Node("Mul", [h, g.Node("Add", [g.Scalar(1f), g.Node("Tanh", [inner])])])]);
    }

    private static string LayerNorm(OnnxGraphs g, string x, int opset, long axis, bool gamma, bool beta, long[]? weightDims = null)
    {
        weightDims ??= [8];
        string Mean(string v) => opset >= 18 ? g.Node("ReduceMean", [v, g.ConstantNode(axis)]) : g.Node("ReduceMean", [v], Ints("axes", axis));
        string centred = g.Node("Sub", [x, Mean(x)]);
        string variance = Mean(g.Node("Pow", [centred, g.Scalar(2f)]));
        string y = g.Node("Div", [centred, g.Node("Sqrt", [g.Node("Add", [variance, g.Scalar(1e-5f)])])]);
        y = gamma ? g.Node("Mul", [y, g.Weight(weightDims, positive: true)]) : y;
        return beta ? g.Node("Add", [y, g.Weight(weightDims)]) : y;
    }
}
