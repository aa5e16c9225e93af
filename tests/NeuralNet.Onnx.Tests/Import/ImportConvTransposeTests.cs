using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Onnx.Import;
using NeuralNet.Optimizers;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// ConvTranspose graphs as torch.onnx writes nn.ConvTranspose1d / 2d (weights (C_in, C_out, k...), pads, output_padding)
/// and with the attributes PyTorch does not write (auto_pad, output_shape): the imported model predicts what ONNX Runtime
/// computes, through the Keras padding whose window is the node's, or 'valid' and a crop.
/// </summary>
public sealed class ImportConvTransposeTests
{
    public static TheoryData<string, int, int, int> TwoDimensional => new()
    {
        // name, expected Cropping2D layers, expected 'same' layers, seed
        { "torch_k3_s2_p1_op1", 1, 0, 1 },
        { "dcgan_k4_s2_p1_no_bias", 0, 1, 2 },
        { "valid_k3_s1", 0, 0, 3 },
        { "stride_over_kernel_op2", 0, 0, 4 },
        { "asymmetric_pads", 1, 0, 5 },
        { "dilated_pads", 1, 0, 6 },
        { "same_upper_k3_s2", 0, 1, 7 },
        { "same_lower_k3_s2", 1, 0, 8 },
        { "same_upper_k4_s2_op1", 0, 1, 9 },
        { "same_lower_k2_s1", 1, 0, 10 },
        { "output_shape_notset", 1, 0, 11 },
        { "output_shape_same_upper", 0, 1, 12 },
        { "output_shape_ignores_pads", 0, 1, 13 },
        { "valid_auto_pad_op1", 0, 0, 14 },
        { "per_axis_strides_kernels", 1, 0, 15 },
    };

    [Theory]
    [MemberData(nameof(TwoDimensional))]
    public void ConvTranspose2D_MatchesOnnxRuntime(string variant, int crops, int same, int seed)
    {
        var g = new OnnxGraphs(seed);
        string x = g.Input("image", -1, 3, 5, 4);
        string w = g.Weight([3, 2, 3, 3]), bias = g.Weight([2]);
        string y = variant switch
        {
            // nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1): the output is 2 · in; Keras' 'same' crops elsewhere.
            "torch_k3_s2_p1_op1" => g.Node("ConvTranspose", [x, w, bias], Ints("dilations", 1, 1), Int("group", 1), Ints("kernel_shape", 3, 3),
                Ints("output_padding", 1, 1), Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 2)),
            // DCGAN's generator: nn.ConvTranspose2d(3, 2, 4, 2, 1, bias=False) is Keras' 'same'.
            "dcgan_k4_s2_p1_no_bias" => g.Node("ConvTranspose", [x, g.Weight([3, 2, 4, 4])], Ints("kernel_shape", 4, 4), Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 2)),
            "valid_k3_s1" => g.Node("ConvTranspose", [x, w, bias]),
            "stride_over_kernel_op2" => g.Node("ConvTranspose", [x, g.Weight([3, 2, 2, 2]), bias], Ints("strides", 3, 3), Ints("output_padding", 2, 1)),
            "asymmetric_pads" => g.Node("ConvTranspose", [x, w, bias], Ints("strides", 2, 2), Ints("pads", 0, 1, 2, 0), Ints("output_padding", 1, 0)),
            "dilated_pads" => g.Node("ConvTranspose", [x, w, bias], Ints("dilations", 2, 3), Ints("pads", 2, 1, 0, 3)),
            "same_upper_k3_s2" => g.Node("ConvTranspose", [x, w, bias], Ints("strides", 2, 2), String("auto_pad", "SAME_UPPER")),
            "same_lower_k3_s2" => g.Node("ConvTranspose", [x, w, bias], Ints("strides", 2, 2), String("auto_pad", "SAME_LOWER")),
            "same_upper_k4_s2_op1" => g.Node("ConvTranspose", [x, g.Weight([3, 2, 4, 4]), bias], Ints("strides", 2, 2), Ints("output_padding", 1, 1), String("auto_pad", "SAME_UPPER")),
            "same_lower_k2_s1" => g.Node("ConvTranspose", [x, g.Weight([3, 2, 2, 2]), bias], String("auto_pad", "SAME_LOWER")),
            "output_shape_notset" => g.Node("ConvTranspose", [x, w, bias], Ints("strides", 2, 2), Ints("output_shape", 10, 8)),
            "output_shape_same_upper" => g.Node("ConvTranspose", [x, g.Weight([3, 2, 4, 4]), bias], Ints("strides", 2, 2), Ints("output_shape", 10, 8), String("auto_pad", "SAME_UPPER")),
            "output_shape_ignores_pads" => g.Node("ConvTranspose", [x, w, bias], Ints("strides", 2, 2), Ints("pads", 2, 0, 0, 1), Ints("output_shape", 9, 7)),
            "valid_auto_pad_op1" => g.Node("ConvTranspose", [x, w, bias], Ints("strides", 2, 2), Ints("output_padding", 1, 1), String("auto_pad", "VALID")),
            _ => g.Node("ConvTranspose", [x, g.Weight([3, 2, 3, 2]), bias], Ints("strides", 2, 3), Ints("pads", 1, 0, 2, 1), Ints("output_padding", 0, 2)),
        };
        g.Output(g.Node("Relu", [y]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [2, 3, 5, 4], seed);

        Conv2DTranspose conv = Assert.Single(model.Layers.OfType<Conv2DTranspose>());
        Assert.Equal(crops, model.Layers.OfType<Cropping2D>().Count());
        Assert.Equal(same, conv.Padding == Padding.Same ? 1 : 0);
        Assert.Equal(variant != "dcgan_k4_s2_p1_no_bias", conv.UseBias);
    }

    [Theory]
    [InlineData("torch_k5_s3_p2_op1", 1)]
    [InlineData("dilated_no_bias", 0)]
    [InlineData("same_upper", 0)]
    public void ConvTranspose1D_MatchesOnnxRuntime(string variant, int crops)
    {
        var g = new OnnxGraphs(21);
        string x = g.Input("signal", -1, 3, 7);
        string y = variant switch
        {
            // nn.ConvTranspose1d(3, 4, 5, stride=3, padding=2, output_padding=1).
            "torch_k5_s3_p2_op1" => g.Node("ConvTranspose", [x, g.Weight([3, 4, 5]), g.Weight([4])], Ints("dilations", 1), Int("group", 1),
                Ints("kernel_shape", 5), Ints("output_padding", 1), Ints("pads", 2, 2), Ints("strides", 3)),
            "dilated_no_bias" => g.Node("ConvTranspose", [x, g.Weight([3, 4, 3])], Ints("dilations", 2)),
            _ => g.Node("ConvTranspose", [x, g.Weight([3, 4, 4]), g.Weight([4])], Ints("strides", 2), String("auto_pad", "SAME_UPPER")),
        };
        g.Output(g.Node("Tanh", [y]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "signal", [2, 3, 7]);

        Assert.Single(model.Layers.OfType<Conv1DTranspose>());
        Assert.Equal(crops, model.Layers.OfType<Cropping1D>().Count());
    }

    [Fact]
    public void ImportedTorchConvTransposeWithACrop_FitStep_ChangesItsKernel()
    {
        // nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1): Conv2DTranspose then Cropping2D, trained through both.
        var g = new OnnxGraphs(25);
        string x = g.Input("image", -1, 3, 5, 4);
        g.Output(g.Node("ConvTranspose", [x, g.Weight([3, 2, 3, 3]), g.Weight([2])], Ints("output_padding", 1, 1), Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 2)));
        Functional model = ImportChecks.Import(g.ToBytes());
        Conv2DTranspose conv = Assert.Single(model.Layers.OfType<Conv2DTranspose>());
        Assert.Single(model.Layers.OfType<Cropping2D>());
        float[] before = conv.Kernel.Value.AsReadOnlySpan().ToArray();

        model.Compile(new Adam(0.01f), new MeanSquaredError());
        History history = model.Fit(Tensor.RandomNormal(new TensorShape(4, 5, 4, 3), 1), Tensor.RandomNormal(new TensorShape(4, 10, 8, 2), 2), epochs: 1, batchSize: 4, verbose: 0, seed: 1);

        Assert.True(double.IsFinite(history["loss"][0]), $"loss {history["loss"][0]}");
        Assert.False(before.AsSpan().SequenceEqual(conv.Kernel.Value.AsReadOnlySpan()));
    }

    [Fact]
    public void ConvTransposeInAUNetBlock_AfterConvAndBeforeConcat_MatchesOnnxRuntime()
    {
        // A decoder step as torch writes it: ConvTranspose2d(4, 2, 2, stride=2) up, Concat with the skip, Conv 3×3 pad 1, Softmax.
        var g = new OnnxGraphs(22);
        string image = g.Input("image", -1, 2, 8, 6);
        string skip = g.Node("Relu", [g.Node("Conv", [image, g.Weight([2, 2, 3, 3]), g.Weight([2])], Ints("pads", 1, 1, 1, 1))]);
        string down = g.Node("MaxPool", [skip], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        string deep = g.Node("Relu", [g.Node("Conv", [down, g.Weight([4, 2, 3, 3]), g.Weight([4])], Ints("pads", 1, 1, 1, 1))]);
        string up = g.Node("ConvTranspose", [deep, g.Weight([4, 2, 2, 2]), g.Weight([2])], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        string joined = g.Node("Concat", [up, skip], Int("axis", 1));
        g.Output(g.Node("Softmax", [g.Node("Conv", [joined, g.Weight([3, 4, 3, 3]), g.Weight([3])], Ints("pads", 1, 1, 1, 1))], Int("axis", 1)));

        ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [3, 2, 8, 6]);
    }

    [Theory]
    [InlineData("group", "attribute group=2; NeuralNet's Conv1DTranspose, Conv2DTranspose and Conv3DTranspose (as Keras') have no groups", false)]
    [InlineData("strides_and_dilations", "strides [2, 2] with dilations [1, 2]; Keras' transposed convolutions (and NeuralNet's) take strides above 1 or dilations above 1, not both", false)]
    [InlineData("negative_pads", "attribute pads=[-1, 0, 0, 0]; negative pads", false)]
    [InlineData("output_past_stride", "its output reaches [1, 0] indices past the full map (output_padding=[1, 0] beyond the end pads of pads=[0, 0, 0, 0]), not fewer than strides [1, 1]", false)]
    [InlineData("output_shape_too_long", "attribute output_shape=[12, 9] asks for 12 outputs on spatial axis 0, where the full map with output_padding holds 11", false)]
    [InlineData("weights_of_other_channels", "W has dimensions [2, 2, 3, 3], expected (C, M, k...) with C = the input's 3 channels", true)]
    [InlineData("output_shape_of_every_axis", "attribute output_shape=[1, 2, 10, 8] holds 4 values; expected 2, the spatial lengths (ONNX Runtime refuses the others)", true)]
    [InlineData("unknown_attribute", "attribute 'alpha' is not one NeuralNet.Onnx reads for ConvTranspose", false)]
    public void ConvTransposeOutsideWhatNeuralNetExpresses_IsRefused_NamingTheNodeAndAttribute(string variant, string expected, bool invalid)
    {
        var g = new OnnxGraphs(23);
        string x = g.Input("image", -1, 3, 5, 4);
        string w = g.Weight([3, 2, 3, 3]);
        string y = variant switch
        {
            "group" => g.Node("ConvTranspose", [x, g.Weight([3, 1, 3, 3])], Int("group", 2)),
            "strides_and_dilations" => g.Node("ConvTranspose", [x, w], Ints("strides", 2, 2), Ints("dilations", 1, 2)),
            "negative_pads" => g.Node("ConvTranspose", [x, w], Ints("pads", -1, 0, 0, 0)),
            "output_past_stride" => g.Node("ConvTranspose", [x, w], Ints("dilations", 2, 1), Ints("output_padding", 1, 0)),
            "output_shape_too_long" => g.Node("ConvTranspose", [x, w], Ints("strides", 2, 2), Ints("output_shape", 12, 9)),
            "weights_of_other_channels" => g.Node("ConvTranspose", [x, g.Weight([2, 2, 3, 3])]),
            "output_shape_of_every_axis" => g.Node("ConvTranspose", [x, w], Ints("strides", 2, 2), Ints("output_shape", 1, 2, 10, 8)),
            _ => g.Node("ConvTranspose", [x, w], Float("alpha", 1f)),
        };
        g.Output(y);

        Exception error = invalid
            ? Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes()))
            : Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains($"node '{g.Graph.Node[^1].Name}' (ConvTranspose): {expected}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("VALID", "attribute pads=[1, 0, 1, 0] with auto_pad='VALID'; pads may be given only with auto_pad NOTSET")]
    [InlineData("SAME_UPPER", "attribute pads=[1, 0, 1, 0] with auto_pad='SAME_UPPER'; pads may be given only with auto_pad NOTSET")]
    [InlineData("SAME_LOWER", "attribute pads=[1, 0, 1, 0] with auto_pad='SAME_LOWER'; pads may be given only with auto_pad NOTSET")]
    [InlineData("NOTSET", "attribute output_padding=[3, 3] with strides [2, 2] and dilations [1, 1]; each output padding must be below its axis' stride or dilation, whichever is larger")]
    public void ConvTransposeOnnxRuntimeRefuses_IsInvalid_NamingTheAttributes(string autoPad, string expected)
    {
        // auto_pad with pads (the pads were dropped), or an output padding of 3 over strides 2 (the full map grew past its zeros).
        var g = new OnnxGraphs(26);
        string x = g.Input("image", -1, 3, 5, 4);
        string w = g.Weight([3, 2, 3, 3]);
        g.Output(autoPad == "NOTSET"
            ? g.Node("ConvTranspose", [x, w], Ints("strides", 2, 2), Ints("pads", 0, 0, 2, 2), Ints("output_padding", 3, 3))
            : g.Node("ConvTranspose", [x, w], Ints("strides", 2, 2), Ints("pads", 1, 0, 1, 0), String("auto_pad", autoPad)));
        byte[] onnx = g.ToBytes();

        var error = Assert.Throws<InvalidDataException>(() => ImportChecks.Import(onnx));
        Assert.Contains($"node '{g.Graph.Node[^1].Name}' (ConvTranspose): {expected}", error.Message, StringComparison.Ordinal);
        // ONNX Runtime refuses the same file (when it loads it, or when it runs it).
        float[] image = [.. Tensor.RandomNormal(new TensorShape(1, 3, 5, 4), 1).AsReadOnlySpan().ToArray()];
        Assert.ThrowsAny<Exception>(() => OnnxGraphs.Run(onnx, "image", image, [1, 3, 5, 4]));
    }

    [Fact]
    public void CheckBuilt_LayerShapeOtherThanPlanned_ThrowsNamingTheNode()
    {
        // The plan's windows (TransposedWindow.Keras) and the layer's geometry are two codings of one rule; a divergence must not shift the output silently.
        var node = new ImportedNode(new NeuralNet.Onnx.Protobuf.NodeProto { Name = "up", OpType = "ConvTranspose" }, 0, "test.onnx");
        SymbolicTensor built = new Conv2DTranspose(2, 3, strides: 2).Call(new Input(new TensorShape(5, 4, 3)));

        Assert.Same(built, ConvTransposeImports.CheckBuilt(node, "Conv2DTranspose", built, [11, 9, 2]));
        var error = Assert.Throws<InvalidOperationException>(() => ConvTransposeImports.CheckBuilt(node, "Conv2DTranspose", built, [10, 9, 2]));
        Assert.Contains("ONNX file 'test.onnx': node 'up' (ConvTranspose): Conv2DTranspose gives [11, 9, 2] per sample but the import planned [10, 9, 2]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InputOfRank6_IsRefusedAtTheInput_ByRank()
    {
        // Volumes (rank 5) import since session 41 (see ImportConvTranspose3DTests); rank 6 is still refused first, at the input.
        var g = new OnnxGraphs(24);
        string x = g.Input("hyper", -1, 2, 2, 3, 4, 4);
        g.Output(g.Node("Relu", [x]));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("input 'hyper' has rank 6; NeuralNet.Onnx imports inputs of rank 2 to 5", error.Message, StringComparison.Ordinal);
    }
}
