using NeuralNet.Onnx.Protobuf;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>What the importer does not read is refused with a message naming the node (name, op_type), the attribute or input, and what is supported.</summary>
public sealed class ImportRefusalTests
{
    [Fact]
    public void UnsupportedOperator_IsRefused_NamingTheNodeAndTheSupportedOperators()
    {
        var g = new OnnxGraphs(1);
        string x = g.Node("Relu", [g.Input("x", -1, 4)]);
        x = g.Node("Hardmax", [x]);
        g.Output(x);

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("node '/hardmax_1' (Hardmax)", error.Message, StringComparison.Ordinal);
        Assert.Contains("operator Hardmax is not imported", error.Message, StringComparison.Ordinal);
        Assert.Contains("Conv", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auto_pad", "auto_pad='SAME_LOWER'")]
    [InlineData("strides_and_dilations", "strides [2, 2] with dilations [2, 2]")]
    [InlineData("unknown_attribute", "attribute 'foo' is not one NeuralNet.Onnx reads for Conv")]
    [InlineData("computed_weights", "input 1 (W, the weights) 'x' is computed by the graph")]
    public void ConvAttributeOrInput_NotSupported_IsRefusedNamingIt(string variant, string expected)
    {
        var g = new OnnxGraphs(2);
        string x = g.Input("x", -1, 2, 6, 6);
        string weight = g.Weight([3, 2, 3, 3]);
        string w = variant == "computed_weights" ? x : weight;
        AttributeProto[] attributes = variant switch
        {
            "auto_pad" => [String("auto_pad", "SAME_LOWER")],
            "strides_and_dilations" => [Ints("strides", 2, 2), Ints("dilations", 2, 2)],
            "unknown_attribute" => [Int("foo", 1)],
            _ => [],
        };
        g.Output(g.Node("Conv", [x, w], attributes));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.StartsWith("ONNX file 'test.onnx': node '/conv_1' (Conv): ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GemmWithTransposedData_IsRefused()
    {
        var g = new OnnxGraphs(3);
        g.Output(g.Node("Gemm", [g.Input("x", -1, 4), g.Weight([4, 2])], Int("transA", 1)));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("(Gemm): attribute transA=1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxPoolWithAWindowOfPadsOnly_IsRefused_NamingThePadsKerasWouldUse()
    {
        // Pads of 2 before a kernel of 2: the first window holds no pixel (ONNX's max of −∞ only; PyTorch forbids it).
        var g = new OnnxGraphs(4);
        g.Output(g.Node("MaxPool", [g.Input("x", -1, 2, 6, 6)], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Ints("pads", 2, 2, 2, 2)));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("(MaxPool): attribute pads=[2, 2, 2, 2] for a 6×6 input", error.Message, StringComparison.Ordinal);
        Assert.Contains("Keras' 'same' ([0, 0, 0, 0])", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DynamicAxisOtherThanBatch_IsRefused_NamingTheInput()
    {
        var g = new OnnxGraphs(5);
        string x = g.Input("pixels", -1, 3, -1, 8);
        g.Output(g.Node("Relu", [x]));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains("input 'pixels' has a dynamic length on axis 2 ('N')", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(22)]
    public void OpsetOutsideTheRange_IsRefused(int opset)
    {
        var g = new OnnxGraphs(6);
        g.Output(g.Node("Relu", [g.Input("x", -1, 4)]));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(opset)));
        Assert.Contains($"uses opset {opset}; NeuralNet.Onnx imports opsets 11 to 21", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainingModeBatchNormalization_IsRefused()
    {
        var g = new OnnxGraphs(7);
        string x = g.Input("x", -1, 2, 3, 3);
        g.Output(g.Node("BatchNormalization", [x, g.Weight([2]), g.Weight([2]), g.Weight([2]), g.Weight([2], positive: true)], Int("training_mode", 1)));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(opset: 15)));
        Assert.Contains("(BatchNormalization): attribute training_mode=1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GeluBeforeOpset20_IsInvalid_NamingTheOpsets()
    {
        var g = new OnnxGraphs(8);
        g.Output(g.Node("Gelu", [g.Input("x", -1, 4)]));

        var error = Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes(opset: 17)));
        Assert.Contains("node '/gelu_0' (Gelu): Gelu is an operator of opset 20 and later, but the file imports opset 17", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BytesThatAreNotOnnx_AreInvalidData()
    {
        var error = Assert.Throws<InvalidDataException>(() => OnnxImporter.Import(new MemoryStream([0xff, 0xff, 0xff, 0x01]), "junk.bin"));
        Assert.Contains("'junk.bin' is not an ONNX model", error.Message, StringComparison.Ordinal);
    }
}
