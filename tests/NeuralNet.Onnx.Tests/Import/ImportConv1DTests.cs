using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// Conv over (N, C, L) sequences as torch.onnx writes nn.Conv1d (weights (M, C/group, k), pads [begin, end]) imports as
/// Conv1D or DepthwiseConv1D and predicts what ONNX Runtime computes; a 1-D Conv followed by a ConvTranspose keeps no
/// cancelling Permutes between them; groups NeuralNet's Conv1D lacks are refused.
/// </summary>
public sealed class ImportConv1DTests
{
    [Theory]
    // nn.Conv1d(3, 4, 3, padding=1): Keras' 'same'.
    [InlineData("same", 9, "Same", 0)]
    // nn.Conv1d(3, 4, 4, stride=2, padding=1): pads [1, 1] where 'same' would pad [1, 2]: a ZeroPadding1D in front.
    [InlineData("explicit_strided", 4, "Valid", 1)]
    // nn.Conv1d(3, 4, 3, dilation=2): 'valid'.
    [InlineData("dilated", 5, "Valid", 0)]
    // auto_pad SAME_UPPER with stride 2.
    [InlineData("same_upper", 5, "Same", 0)]
    // nn.Conv1d(3, 6, 3, groups=3, padding=1): DepthwiseConv1D with depth multiplier 2.
    [InlineData("depthwise", 9, "Same", 0)]
    public void Conv1d_MatchesOnnxRuntime(string variant, int length, string padding, int zeroPaddings)
    {
        var g = new OnnxGraphs(43);
        string x = g.Input("signal", -1, 3, 9);
        string y = variant switch
        {
            "same" => g.Node("Conv", [x, g.Weight([4, 3, 3]), g.Weight([4])], Ints("kernel_shape", 3), Ints("pads", 1, 1)),
            "explicit_strided" => g.Node("Conv", [x, g.Weight([4, 3, 4]), g.Weight([4])], Ints("pads", 1, 1), Ints("strides", 2)),
            "dilated" => g.Node("Conv", [x, g.Weight([4, 3, 3])], Ints("dilations", 2)),
            "same_upper" => g.Node("Conv", [x, g.Weight([4, 3, 4]), g.Weight([4])], String("auto_pad", "SAME_UPPER"), Ints("strides", 2)),
            _ => g.Node("Conv", [x, g.Weight([6, 1, 3]), g.Weight([6])], Int("group", 3), Ints("pads", 1, 1)),
        };
        g.Output(g.Node("Relu", [y]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "signal", [2, 3, 9]);

        Layer conv = Assert.Single(model.Layers, l => l is Conv1D or DepthwiseConv1D);
        Assert.Equal(variant == "depthwise" ? typeof(DepthwiseConv1D) : typeof(Conv1D), conv.GetType());
        Assert.Equal(padding, (conv is Conv1D c ? c.Padding : ((DepthwiseConv1D)conv).Padding).ToString());
        Assert.Equal(zeroPaddings, model.Layers.OfType<ZeroPadding1D>().Count());
        Assert.Equal(length, model.Outputs[0].Shape[1]);
    }

    [Fact]
    public void Conv1dThenConvTranspose1d_MatchesOnnxRuntime_WithoutCancellingPermutes()
    {
        // (N, C, L) -> Conv1D -> Conv1DTranspose -> (N, C, L): one Permute at the input and one at the output.
        var g = new OnnxGraphs(44);
        string x = g.Input("signal", -1, 2, 8);
        string conv = g.Node("Conv", [x, g.Weight([4, 2, 3]), g.Weight([4])], Ints("pads", 1, 1));
        string up = g.Node("ConvTranspose", [conv, g.Weight([4, 3, 4]), g.Weight([3])], Ints("strides", 2), Ints("pads", 1, 1));
        g.Output(up);

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "signal", [3, 2, 8]);

        Assert.Equal(2, model.Layers.OfType<Permute>().Count());
        Assert.Single(model.Layers.OfType<Conv1D>());
        Assert.Single(model.Layers.OfType<Conv1DTranspose>());
    }

    [Theory]
    [InlineData("grouped", "attribute group=2 over 4 channels; NeuralNet's Conv1D (as Keras') has no groups")]
    [InlineData("same_lower", "attribute auto_pad='SAME_LOWER'; NeuralNet.Onnx imports NOTSET (explicit pads), VALID and SAME_UPPER")]
    [InlineData("strided_dilated", "strides [2] with dilations [2]; Keras' convolutions (and NeuralNet's) take strides above 1 or dilations above 1, not both")]
    // The node's own [begin, end], not the L × 1 image's [-1, 0, 0, 0] the 2-D reading makes of it.
    [InlineData("negative_pads", "attribute pads=[-1, 0]; negative pads (cropping) are not imported")]
    public void Conv1dNeuralNetLacks_IsRefused_NamingTheAttribute(string variant, string expected)
    {
        var g = new OnnxGraphs(45);
        string x = g.Input("signal", -1, 4, 9);
        string y = variant switch
        {
            "grouped" => g.Node("Conv", [x, g.Weight([4, 2, 3])], Int("group", 2)),
            "same_lower" => g.Node("Conv", [x, g.Weight([4, 4, 2])], String("auto_pad", "SAME_LOWER")),
            "negative_pads" => g.Node("Conv", [x, g.Weight([4, 4, 3])], Ints("pads", -1, 0)),
            _ => g.Node("Conv", [x, g.Weight([4, 4, 3])], Ints("strides", 2), Ints("dilations", 2)),
        };
        g.Output(y);

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains($"node '{g.Graph.Node[^1].Name}' (Conv): {expected}", error.Message, StringComparison.Ordinal);
    }
}
