using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>Hand-built ONNX graphs with random weights: the imported model predicts what ONNX Runtime computes, on channels-last inputs.</summary>
public sealed class ImportRuntimeTests
{
    [Fact]
    public void ConvNet_PyTorchStyle_MatchesOnnxRuntime()
    {
        Functional model = ImportChecks.AssertMatchesRuntime(TorchStyleGraphs.ConvNet(), "input", [3, 3, 8, 8]);

        Assert.Equal([8, 8, 3], model.Inputs[0].Shape.Dimensions.ToArray());
        Assert.Equal(2, model.Layers.OfType<Conv2D>().Count());
        Assert.Single(model.Layers.OfType<BatchNormalization>());
    }

    [Fact]
    public void Mlp_MatMulAdd_MatchesOnnxRuntime_AndFusesBiases()
    {
        Functional model = ImportChecks.AssertMatchesRuntime(TorchStyleGraphs.Mlp(), "features", [4, 10]);

        // Each MatMul + Add is one Dense with its bias, not a Dense and an addition.
        Assert.Equal(3, model.Layers.OfType<Dense>().Count(d => d.UseBias));
        Assert.Empty(model.Layers.OfType<ScalarArithmetic>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FlattenOfFeatureMaps_KeepsPyTorchOrder_MatchesOnnxRuntime(bool reshape)
    {
        // 3 channels of 4×3 maps flattened into a Linear: the 36 rows of its weight are in (C, H, W) order.
        var g = new OnnxGraphs(3);
        string x = g.Input("image", -1, 2, 5, 4);
        x = g.Node("Relu", [g.Node("Conv", [x, g.Weight([3, 2, 2, 2]), g.Weight([3])], Ints("kernel_shape", 2, 2))]);
        x = reshape ? g.Node("Reshape", [x, g.Int64s(0, -1)]) : g.Node("Flatten", [x]);
        x = g.Node("Gemm", [x, g.Weight([36, 4]), g.Weight([4])], Float("alpha", 0.5f), Float("beta", 2f));
        g.Output(x);

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [3, 2, 5, 4]);

        // Read only by the Gemm, the maps are flattened channels last and the kernel's rows reordered: no Permute per step.
        Assert.Empty(model.Layers.OfType<Permute>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FlattenOfFeatureMapsIntoMatMul_OrAlsoReadElsewhere_MatchesOnnxRuntime(bool alsoRelu)
    {
        // Flatten into MatMul + Add (Linear on some inputs); when a Relu reads the flattened features too, they keep
        // ONNX's (C, H, W) order through one Permute.
        var g = new OnnxGraphs(15);
        string x = g.Input("image", -1, 3, 4, 2);
        x = g.Node("Flatten", [g.Node("Conv", [x, g.Weight([2, 3, 1, 1])])]);
        string y = g.Node("Add", [g.Node("MatMul", [x, g.Weight([16, 5])]), g.Weight([5])]);
        g.Output(alsoRelu ? g.Node("Concat", [y, g.Node("Relu", [x])], Int("axis", 1)) : y);

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [2, 3, 4, 2]);

        Assert.Equal(alsoRelu ? 1 : 0, model.Layers.OfType<Permute>().Count());
    }

    [Fact]
    public void DepthwiseGroupedDilatedConvolutions_PoolsAndMerges_MatchOnnxRuntime()
    {
        var g = new OnnxGraphs(4);
        string x = g.Input("image", -1, 4, 8, 7);
        // Depthwise (multiplier 2), stride 2, pads 1 that differ from Keras' 'same' on 8 rows: a ZeroPadding2D in front.
        x = g.Node("Conv", [x, g.Weight([8, 1, 3, 3]), g.Weight([8])], Int("group", 4), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        x = g.Node("LeakyRelu", [x], Float("alpha", 0.1f));
        x = g.Node("Conv", [x, g.Weight([6, 4, 1, 1])], Int("group", 2));
        x = g.Node("Elu", [x], Float("alpha", 0.7f));
        string a = g.Node("AveragePool", [x], Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Int("count_include_pad", 0));
        string b = g.Node("Conv", [a, g.Weight([6, 6, 1, 1]), g.Weight([6])]);
        string sum = g.Node("Add", [a, b]);
        string gated = g.Node("Mul", [sum, g.Node("Sigmoid", [b])]);
        x = g.Node("Concat", [gated, g.Node("Sub", [a, b])], Int("axis", 1));
        x = g.Node("Conv", [x, g.Weight([4, 12, 3, 3]), g.Weight([4])], Ints("dilations", 2, 2), Ints("pads", 2, 2, 2, 2));
        x = g.Node("AveragePool", [x], Ints("kernel_shape", 2, 2), Ints("pads", 1, 1, 1, 1), Int("count_include_pad", 1));
        x = g.Node("MaxPool", [x], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), String("auto_pad", "SAME_UPPER"));
        x = g.Node("MaxPool", [x], Ints("kernel_shape", 2, 2), Ints("strides", 1, 1), Int("ceil_mode", 1));
        g.Output(x);

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [2, 4, 8, 7]);

        Assert.Single(model.Layers.OfType<DepthwiseConv2D>());
        Assert.Equal(2, model.Layers.OfType<ZeroPadding2D>().Count());
    }

    [Fact]
    public void GeluAtOpset20_AndScalarConstants_MatchOnnxRuntime()
    {
        var g = new OnnxGraphs(5);
        string x = g.Input("x", -1, 6);
        string scalar = g.Weight([]);
        x = g.Node("Gelu", [g.Node("MatMul", [x, g.Weight([6, 5])])], String("approximate", "tanh"));
        x = g.Node("Sub", [scalar, g.Node("Mul", [x, scalar])]);
        x = g.Node("Gelu", [g.Node("Add", [x, g.Weight([1])])]);
        g.Output(x);

        ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 20), "x", [3, 6]);
    }

    [Fact]
    public void ReshapeToImagesByAConstantNode_AndChannelSoftmax_MatchOnnxRuntime()
    {
        var g = new OnnxGraphs(6);
        string x = g.Input("z", -1, 24);
        x = g.Node("Reshape", [x, g.ConstantNode(-1, 2, 4, 3)]);
        x = g.Node("Conv", [x, g.Weight([3, 2, 3, 3])], Ints("pads", 1, 1, 1, 1));
        x = g.Node("Softmax", [x], Int("axis", 1));
        g.Output(x);

        ImportChecks.AssertMatchesRuntime(g.ToBytes(), "z", [2, 24]);
    }

    [Fact]
    public void FixedBatchExport_ReshapeToThatBatch_ImportsWithAnyBatch()
    {
        // torch.onnx.export without dynamic_axes: the input is (1, 2, 4, 4) and x.view(1, -1) is folded to the shape [1, -1].
        var g = new OnnxGraphs(9);
        string x = g.Input("image", 1, 2, 4, 4);
        x = g.Node("Conv", [x, g.Weight([3, 2, 3, 3]), g.Weight([3])]);
        x = g.Node("Reshape", [x, g.Int64s(1, -1)]);
        x = g.Node("Gemm", [x, g.Weight([2, 12]), g.Weight([2])], Int("transB", 1));
        g.Output(x);

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [1, 2, 4, 4]);

        // A batch of 5 gives what ONNX Runtime gives for each of its samples alone (the file takes batch 1 only).
        float[] batch = [.. Tensor.RandomNormal(new TensorShape(5, 2, 4, 4), 1).AsReadOnlySpan().ToArray()];
        Tensor ours = model.PredictOutputs([ImportChecks.ChannelsLast(batch, [5, 2, 4, 4])])[0];
        Assert.Equal([5, 2], ours.Shape.Dimensions.ToArray());
        for (int n = 0; n < 5; n++)
        {
            float[] expected = OnnxGraphs.Run(g.ToBytes(), "image", batch[(n * 32)..((n + 1) * 32)], [1, 2, 4, 4])[0].Values;
            ImportChecks.AssertClose(expected, ours.AsReadOnlySpan().Slice(n * 2, 2));
        }
    }

    [Theory]
    [InlineData(8)]
    [InlineData(6)]
    public void MaxPoolCeilMode_StrideTwo_OnEvenInput_MatchesOnnxRuntime(int size)
    {
        // Kernel 2, stride 2 on an even length: ceil and floor agree, so ceil_mode=1 imports.
        var g = new OnnxGraphs(10);
        g.Output(g.Node("MaxPool", [g.Input("image", -1, 2, size, size)], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Int("ceil_mode", 1)));

        ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [2, 2, size, size]);
    }

    [Theory]
    [InlineData(8, 3, 2, 1, 1)]
    [InlineData(7, 3, 2, 1, 1)]
    [InlineData(6, 2, 2, 1, 0)]
    [InlineData(5, 3, 1, 0, 1)]
    public void MaxPoolWithPadsOtherThanSame_MatchesOnnxRuntime_OnNegativeValues(int size, int kernel, int stride, int before, int after)
    {
        // torchvision ResNet's MaxPool2d(3, 2, 1): pads [1, 1, 1, 1], not 'same''s [0, 0, 1, 1]. ONNX pads a max with −∞;
        // zeros would win over the negative values of a random normal input, edge copies do not.
        var g = new OnnxGraphs(13);
        string x = g.Input("image", -1, 2, size, size);
        g.Output(g.Node("MaxPool", [x], Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", before, after, after, before)));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [2, 2, size, size]);

        Assert.Empty(model.Layers.OfType<ZeroPadding2D>());
        Assert.Single(model.Layers.OfType<MaxPooling2D>());
    }

    [Theory]
    [InlineData("global_max_pool")]
    [InlineData("layer_norm_without_bias")]
    [InlineData("batch_norm_of_features")]
    [InlineData("matmul_with_two_readers")]
    [InlineData("dropout_ratio_input")]
    [InlineData("strided_same_upper_conv")]
    [InlineData("transpose_as_permute")]
    public void SmallGraphOfOneOperatorCase_MatchesOnnxRuntime(string variant)
    {
        var g = new OnnxGraphs(14);
        int[] dims = variant is "global_max_pool" or "strided_same_upper_conv" or "transpose_as_permute" ? [2, 3, 7, 6] : [3, 5];
        string x = g.Input("x", [-1, .. dims[1..].Select(d => (long)d)]);
        string y = variant switch
        {
            "global_max_pool" => g.Node("GlobalMaxPool", [x]),
            "layer_norm_without_bias" => g.Node("LayerNormalization", [x, g.Weight([5])], Float("epsilon", 1e-3f)),
            "batch_norm_of_features" => g.Node("BatchNormalization", [x, g.Weight([5]), g.Weight([5]), g.Weight([5]), g.Weight([5], positive: true)]),
            // The MatMul's output is read by the Add and by the Relu: a Dense without bias, read twice.
            "matmul_with_two_readers" => MatMulWithTwoReaders(g, x),
            "dropout_ratio_input" => g.Node("Dropout", [x, g.Scalar(0.25f)]),
            "strided_same_upper_conv" => g.Node("Conv", [x, g.Weight([4, 3, 3, 3]), g.Weight([4])], Ints("strides", 2, 2), String("auto_pad", "SAME_UPPER")),
            _ => g.Node("Transpose", [x], Ints("perm", 0, 1, 3, 2)),
        };
        g.Output(y);

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "x", dims);

        switch (variant)
        {
            case "matmul_with_two_readers":
                Assert.Single(model.Layers.OfType<Dense>(), d => !d.UseBias);
                break;
            case "dropout_ratio_input":
                Assert.Equal(0.25, model.Layers.OfType<Dropout>().Single().Rate, 6);
                break;
            case "transpose_as_permute":
                Assert.Single(model.Layers.OfType<Permute>());
                break;
        }
    }

    private static string MatMulWithTwoReaders(OnnxGraphs g, string x)
    {
        string m = g.Node("MatMul", [x, g.Weight([5, 4])]);
        return g.Node("Add", [m, g.Node("Relu", [m])]);
    }

    [Fact]
    public void SoftmaxOverHeight_AndConcatOverWidth_OfImages_MatchOnnxRuntime()
    {
        // ONNX axes 2 and 3 of (N, C, H, W) are NeuralNet's axes 1 and 2 of (N, H, W, C).
        var g = new OnnxGraphs(11);
        string x = g.Input("image", -1, 3, 4, 5);
        string s = g.Node("Softmax", [x], Int("axis", 2));
        string c = g.Node("Concat", [s, g.Node("Relu", [x])], Int("axis", 3));
        g.Output(c);

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [2, 3, 4, 5]);

        Assert.Equal([1], model.Layers.OfType<Softmax>().Single().Axes.ToArray());
    }

    [Fact]
    public void OneTensorAsTwoOutputs_AndInputNamesEqualAfterCleanUp_MatchOnnxRuntime()
    {
        // PyTorch writes an Identity when a module returns one tensor twice; 'a.b' and 'a_b' both clean up to 'a_b'.
        var g = new OnnxGraphs(12);
        string a = g.Input("a.b", -1, 4);
        string b = g.Input("a_b", -1, 4);
        string y = g.Node("Relu", [g.Node("Add", [a, b])]);
        g.Output(y);
        g.Output(g.Node("Identity", [y]));
        g.Output(g.Node("Dropout", [y]));

        var model = ImportChecks.Import(g.ToBytes());

        Assert.Equal(["a_b", "a_b_2"], model.InputNames.ToArray());
        Assert.Equal(3, model.Outputs.Count);
        Tensor left = Tensor.RandomNormal(new TensorShape(3, 4), 1), right = Tensor.RandomNormal(new TensorShape(3, 4), 2);
        IReadOnlyList<Tensor> outputs = model.PredictOutputs([left, right]);
        float[] expected = [.. left.AsReadOnlySpan().ToArray().Zip(right.AsReadOnlySpan().ToArray(), (l, r) => Math.Max(0f, l + r))];
        foreach (Tensor output in outputs)
        {
            ImportChecks.AssertClose(expected, output.AsReadOnlySpan());
        }
    }
}
