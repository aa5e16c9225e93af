using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// ConvTranspose over (N, C, D, H, W) volumes as torch.onnx writes nn.ConvTranspose3d (weights (C_in, C_out, kD, kH, kW))
/// imports as Conv3DTranspose, with a Cropping3D where Keras' paddings give another window, and predicts what ONNX
/// Runtime computes; a 3-D Conv stays refused, naming its rank-5 input.
/// </summary>
public sealed class ImportConvTranspose3DTests
{
    [Theory]
    // nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1, output_padding=1): 'valid' and a crop of the first position per axis.
    [InlineData("torch_k3_s2_p1_op1", 1, 0)]
    // nn.ConvTranspose3d(2, 3, 4, stride=2, padding=1, bias=False): Keras' 'same'.
    [InlineData("k4_s2_p1_no_bias", 0, 1)]
    // Per-axis strides (1, 2, 3) over a (2, 3, 2) kernel, no pads: 'valid'.
    [InlineData("per_axis_strides", 0, 0)]
    // Dilations (2, 1, 1) with asymmetric pads: 'valid' and a crop.
    [InlineData("dilated_asymmetric_pads", 1, 0)]
    // output_shape (6, 8, 10) of a (7, 9, 11) full map: the odd pad at the start without auto_pad, a crop.
    [InlineData("output_shape", 1, 0)]
    // auto_pad SAME_UPPER: the output in · stride long, the odd pad at the end, Keras' 'same'.
    [InlineData("same_upper", 0, 1)]
    // auto_pad SAME_LOWER: the odd pad at the start, 'valid' and a crop.
    [InlineData("same_lower", 1, 0)]
    public void ConvTranspose3D_MatchesOnnxRuntime(string variant, int crops, int same)
    {
        var g = new OnnxGraphs(46);
        string x = g.Input("volume", -1, 2, 3, 4, 5);
        string bias = g.Weight([3]);
        string y = variant switch
        {
            "torch_k3_s2_p1_op1" => g.Node("ConvTranspose", [x, g.Weight([2, 3, 3, 3, 3]), bias], Ints("dilations", 1, 1, 1), Int("group", 1), Ints("kernel_shape", 3, 3, 3),
                Ints("output_padding", 1, 1, 1), Ints("pads", 1, 1, 1, 1, 1, 1), Ints("strides", 2, 2, 2)),
            "k4_s2_p1_no_bias" => g.Node("ConvTranspose", [x, g.Weight([2, 3, 4, 4, 4])], Ints("pads", 1, 1, 1, 1, 1, 1), Ints("strides", 2, 2, 2)),
            "per_axis_strides" => g.Node("ConvTranspose", [x, g.Weight([2, 3, 2, 3, 2]), bias], Ints("strides", 1, 2, 3)),
            "output_shape" => g.Node("ConvTranspose", [x, g.Weight([2, 3, 3, 3, 3]), bias], Ints("strides", 2, 2, 2), Ints("output_shape", 6, 8, 10)),
            "same_upper" => g.Node("ConvTranspose", [x, g.Weight([2, 3, 3, 3, 3]), bias], Ints("strides", 2, 2, 2), String("auto_pad", "SAME_UPPER")),
            "same_lower" => g.Node("ConvTranspose", [x, g.Weight([2, 3, 3, 3, 3]), bias], Ints("strides", 2, 2, 2), String("auto_pad", "SAME_LOWER")),
            _ => g.Node("ConvTranspose", [x, g.Weight([2, 3, 3, 2, 2]), bias], Ints("dilations", 2, 1, 1), Ints("pads", 1, 0, 1, 2, 1, 0)),
        };
        g.Output(g.Node("Relu", [y]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "volume", [2, 2, 3, 4, 5]);

        Conv3DTranspose conv = Assert.Single(model.Layers.OfType<Conv3DTranspose>());
        Assert.Equal(crops, model.Layers.OfType<Cropping3D>().Count());
        Assert.Equal(same, conv.Padding == Padding.Same ? 1 : 0);
        Assert.Equal(variant != "k4_s2_p1_no_bias", conv.UseBias);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(1)]
    public void ExportedTransposedConvolution_ImportedBack_PredictsTheSame_WithoutPermutes(int rank)
    {
        // ExportOnnx writes Transpose (channels first), ConvTranspose, Transpose (back): the import's Permutes around the
        // Conv3DTranspose / Conv1DTranspose cancel the Transposes' (before session 41, two cancelling pairs for 1-D).
        Input input = rank == 3 ? new Input(new TensorShape(3, 4, 3, 2), name: "volume") : new Input(new TensorShape(6, 2), name: "signal");
        Layer conv = rank == 3 ? new Conv3DTranspose(3, (2, 3, 2), (2, 1, 2), Padding.Same) : new Conv1DTranspose(3, 3, 2, Padding.Same);
        Functional original = new Functional([input], [conv.Call(input)], seed: 6).Randomized();
        Functional imported = ImportChecks.Import(original.ToOnnxBytes());
        Tensor x = Tensor.RandomNormal(new TensorShape([2, .. input.Shape.Dimensions]), 7);

        Assert.Equal(original.Outputs[0].Shape, imported.Outputs[0].Shape);
        ImportChecks.AssertClose(original.PredictOutputs([x])[0].AsReadOnlySpan(), imported.PredictOutputs([x])[0].AsReadOnlySpan());
        Assert.Empty(imported.Layers.OfType<Permute>());
        Assert.Single(imported.Layers, l => l.GetType() == conv.GetType());
    }

    [Fact]
    public void Conv3D_IsRefused_NamingItsRank5Input()
    {
        var g = new OnnxGraphs(47);
        string x = g.Input("volume", -1, 2, 3, 4, 5);
        g.Output(g.Node("Conv", [x, g.Weight([3, 2, 2, 2, 2])]));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains($"node '{g.Graph.Node[^1].Name}' (Conv): input 0 (X) has dimensions [N, 2, 3, 4, 5]; NeuralNet.Onnx imports Conv on (N, C, L) sequences (Conv1D) and (N, C, H, W) images (Conv2D)", error.Message, StringComparison.Ordinal);
    }
}
