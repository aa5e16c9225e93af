using Google.Protobuf;
using NeuralNet.Onnx.Protobuf;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// Files that break ONNX's rules, or say what NeuralNet cannot hold, are refused with InvalidDataException or
/// NotSupportedException during the first pass, never with another exception from a layer or the model.
/// </summary>
public sealed class ImportMalformedTests
{
    private const long Huge = 1L << 32;

    [Fact]
    public void TruncatedModel_IsInvalidData()
    {
        var g = new OnnxGraphs(20);
        g.Output(g.Node("Gemm", [g.Input("x", -1, 4), g.Weight([4, 3])]));
        byte[] bytes = g.ToBytes();

        var error = Assert.Throws<InvalidDataException>(() => OnnxImporter.Import(new MemoryStream(bytes[..(bytes.Length / 2)]), "cut.onnx"));
        Assert.Contains("'cut.onnx' is not an ONNX model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InputNoOutputReads_IsRefused_NamingIt()
    {
        var g = new OnnxGraphs(21);
        string x = g.Input("x", -1, 4);
        g.Input("mask", -1, 4);
        g.Output(g.Node("Relu", [x]));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("input 'mask' is read by no output", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NaN)]
    public void NonFiniteScalarConstant_IsRefused(float value)
    {
        var g = new OnnxGraphs(22);
        g.Output(g.Node("Mul", [g.Input("x", -1, 4), g.Scalar(value)]));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("(Mul): input 's0' is", error.Message, StringComparison.Ordinal);
        Assert.Contains("takes a finite number", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("BatchNormalization")]
    [InlineData("LayerNormalization")]
    public void InfiniteEpsilon_IsRefused(string op)
    {
        var g = new OnnxGraphs(23);
        string[] inputs = op == "BatchNormalization"
            ? [g.Input("x", -1, 3), g.Weight([3]), g.Weight([3]), g.Weight([3]), g.Weight([3], positive: true)]
            : [g.Input("x", -1, 3), g.Weight([3])];
        g.Output(g.Node(op, inputs, Float("epsilon", float.PositiveInfinity)));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("takes a finite positive epsilon", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BiasWithExtraLeadingAxes_IsNotFoldedIntoTheDense()
    {
        // [1, 1, 3] added to (N, 3) broadcasts to (1, N, 3) in ONNX: a Dense's bias would give (N, 3).
        var g = new OnnxGraphs(24);
        string y = g.Node("MatMul", [g.Input("x", -1, 4), g.Weight([4, 3])]);
        g.Output(g.Node("Add", [y, g.Weight([1, 1, 3])]));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("(Add): input 'w2' is a constant of dimensions [1, 1, 3]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConcatOfTwoLayouts_IsRefusedAsNotSupported()
    {
        // A Transpose to (N, H, W, C) leaves a tensor NeuralNet holds as ONNX has it, beside an image held channels last.
        var g = new OnnxGraphs(25);
        string a = g.Node("Transpose", [g.Input("a", -1, 2, 4, 4)], Ints("perm", 0, 2, 3, 1));
        g.Output(g.Node("Concat", [a, g.Input("b", -1, 4, 4, 2)], Int("axis", 1)));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("are held in different layouts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValueDefinedTwice_IsInvalidData()
    {
        var g = new OnnxGraphs(26);
        string x = g.Input("x", -1, 4);
        string first = g.Node("Relu", [x]);
        g.Node("Sigmoid", [x]);
        g.Graph.Node[1].Output[0] = first;
        g.Output(g.Node("Tanh", [first]));

        var error = Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("(Sigmoid): value 't0' is defined twice", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("zero_kernel", "every length of a convolution's weights")]
    [InlineData("huge_stride", "must be in [1, 2147483647]")]
    [InlineData("huge_group", "attribute group=4294967296 is not in [1, 2147483647]")]
    public void ConvWithLengthsOutOfRange_IsInvalidData(string variant, string expected)
    {
        var g = new OnnxGraphs(27);
        string x = g.Input("x", -1, 2, 6, 6);
        string w = g.Weight(variant == "zero_kernel" ? [3, 2, 0, 3] : [3, 2, 3, 3]);
        AttributeProto[] attributes = variant switch
        {
            "huge_stride" => [Ints("strides", Huge, Huge)],
            "huge_group" => [Int("group", Huge)],
            _ => [],
        };
        g.Output(g.Node("Conv", [x, w], attributes));

        var error = Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxPoolKernelAboveIntRange_IsInvalidData()
    {
        var g = new OnnxGraphs(28);
        g.Output(g.Node("MaxPool", [g.Input("x", -1, 2, 6, 6)], Ints("kernel_shape", Huge, 2)));

        var error = Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("kernel_shape=[4294967296, 2] is not two lengths in [1, 2147483647]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InitializerOfMoreThanIntMaxElements_IsInvalidData()
    {
        // [2^32, 2^32] counts 2^64 elements, 0 in 64-bit arithmetic: the check must not wrap.
        var g = new OnnxGraphs(29);
        var tensor = new TensorProto { Name = "big", DataType = 1 };
        tensor.Dims.AddRange([Huge, Huge]);
        g.Graph.Initializer.Add(tensor);
        g.Output(g.Node("MatMul", [g.Input("x", -1, 4), "big"]));

        var error = Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("initializer 'big' has dimensions [4294967296, 4294967296]: more than 2147483647 elements", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Huge + 3, 1, "has length 4294967299 on axis 1")]
    [InlineData(65536, 65536, "more than 2147483647 values per sample")]
    public void InputLengthsAboveIntRange_AreInvalidData(long first, long second, string expected)
    {
        var g = new OnnxGraphs(30);
        g.Output(g.Node("Relu", [g.Input("x", -1, first, second)]));

        var error = Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("input 'x'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxPoolCeilMode_StrideTwoOnOddInput_IsRefused()
    {
        // 7 pixels, kernel 2, stride 2: ceil_mode adds a fourth, partial window that NeuralNet's pooling has no form for.
        var g = new OnnxGraphs(31);
        g.Output(g.Node("MaxPool", [g.Input("x", -1, 2, 7, 7)], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Int("ceil_mode", 1)));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("ceil_mode=1 adds a partial window on this 7×7 input", error.Message, StringComparison.Ordinal);
    }
}
