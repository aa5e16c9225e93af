using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// Shape arithmetic as torch.onnx.export writes it (symbolic_opset9's size/view: Shape, Gather of a scalar index,
/// Unsqueeze, Concat with constants, Reshape) is evaluated at import; the batch length may only reach a Reshape's first entry.
/// </summary>
public sealed class ImportShapeFoldingTests
{
    [Theory]
    [InlineData("view_size0")]
    [InlineData("reshape_b_chw")]
    [InlineData("slice_mul_div_cast")]
    public void ShapeArithmeticIntoReshape_MatchesOnnxRuntime_WithAnyBatch(string variant)
    {
        // Conv2d(2, 3, 2) on (N, 2, 5, 4) gives (N, 3, 4, 3): 36 features per sample into Linear(36, 4).
        var g = new OnnxGraphs(21);
        string x = g.Input("image", -1, 2, 5, 4);
        x = g.Node("Relu", [g.Node("Conv", [x, g.Weight([3, 2, 2, 2]), g.Weight([3])], Ints("kernel_shape", 2, 2))]);
        string shape = g.Node("Shape", [x]);
        string Size(int axis) => g.Node("Gather", [shape, g.ConstantScalar(axis)], Int("axis", 0));
        string Unsqueezed(string scalar) => g.Node("Unsqueeze", [scalar, g.ConstantNode(0)]);
        string target = variant switch
        {
            // x.view(x.size(0), -1)
            "view_size0" => g.Node("Concat", [Unsqueezed(Size(0)), g.ConstantNode(-1)], Int("axis", 0)),
            // b, c, h, w = x.shape; x.reshape(b, c * h * w), the channels read through Slice and Squeeze
            "reshape_b_chw" => g.Node("Concat", [
                Unsqueezed(Size(0)),
                Unsqueezed(g.Node("Mul", [g.Node("Mul", [g.Node("Squeeze", [g.Node("Slice", [shape, g.ConstantNode(1), g.ConstantNode(2)]), g.ConstantNode(0)]), Size(2)]), Size(3)]))],
                Int("axis", 0)),
            // x.reshape(x.shape[:1] + (-1, int(h * w * 2 / 2))): (N, 3, 12) from a Slice of the batch, Cast, Div
            _ => g.Node("Concat", [
                g.Node("Slice", [shape, g.ConstantNode(0), g.ConstantNode(1)]),
                g.ConstantNode(-1),
                Unsqueezed(g.Node("Cast", [g.Node("Div", [g.Node("Cast", [g.Node("Mul", [g.Node("Mul", [Size(2), Size(3)]), g.ConstantScalar(2)])], Int("to", 1)), g.Scalar(2f)])], Int("to", 7)))],
                Int("axis", 0)),
        };
        x = g.Node("Reshape", [x, target]);
        if (variant == "slice_mul_div_cast")
        {
            x = g.Node("Flatten", [x], Int("axis", 1));
        }

        // torch.full((1,), 0.5) as ConstantOfShape, multiplied into the output.
        string half = g.Node("ConstantOfShape", [g.ConstantNode(1)], new Protobuf.AttributeProto { Name = "value", Type = Protobuf.AttributeProto.Types.AttributeType.Tensor, T = HalfTensor() });
        x = g.Node("Mul", [g.Node("Gemm", [x, g.Weight([4, 36]), g.Weight([4])], Int("transB", 1)), half]);
        g.Output(x);

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [3, 2, 5, 4]);
        ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [1, 2, 5, 4], seed: 8);

        // The shape nodes leave no layer: a Conv, the Relu, the flattening (the Dense rows reordered, no Permute), the Dense and the scaling.
        Assert.Single(model.Layers.OfType<Dense>());
        Assert.Single(model.Layers.OfType<ScalarArithmetic>());
    }

    [Fact]
    public void ArithmeticOnTheBatchLength_IsRefused_NamingTheNode()
    {
        // x.view(x.size(0) * 2, -1): the batch length doubled.
        var g = new OnnxGraphs(22);
        string x = g.Input("x", -1, 4);
        string batch = g.Node("Gather", [g.Node("Shape", [x]), g.ConstantScalar(0)]);
        string doubled = g.Node("Mul", [batch, g.ConstantScalar(2)]);
        string target = g.Node("Concat", [g.Node("Unsqueeze", [doubled, g.ConstantNode(0)]), g.ConstantNode(-1)], Int("axis", 0));
        g.Output(g.Node("Reshape", [x, target]));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains($"node '/mul_{doubled[1..]}' (Mul): input 0 '{batch}' holds the batch length", error.Message, StringComparison.Ordinal);
        Assert.Contains("only as the first entry of a Reshape's shape", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchLengthAsALaterReshapeEntry_IsRefused_NamingTheEntry()
    {
        // x.view(-1, x.size(0)) is valid ONNX (a transpose-like reshape of the whole batch), not a per-sample reshape.
        var g = new OnnxGraphs(23);
        string x = g.Input("x", -1, 4);
        string batch = g.Node("Gather", [g.Node("Shape", [x]), g.ConstantScalar(0)]);
        string target = g.Node("Concat", [g.ConstantNode(-1), g.Node("Unsqueeze", [batch, g.ConstantNode(0)])], Int("axis", 0));
        string y = g.Node("Reshape", [x, target]);
        g.Output(y);

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains($"node '/reshape_{y[1..]}' (Reshape): entry 1 of its shape is the batch length", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gather_of_features")]
    [InlineData("batch_into_add")]
    [InlineData("constant_of_batch_shape")]
    public void BatchDependentOrComputedShapeValues_AreRefused_NamingTheNodeAndTheInput(string variant)
    {
        var g = new OnnxGraphs(24);
        string x = g.Input("x", -1, 4);
        string shape = g.Node("Shape", [x]);
        (string y, string op, string expected) = variant switch
        {
            "gather_of_features" => (g.Node("Gather", [x, g.ConstantScalar(1)], Int("axis", 1)), "gather",
                "input 0 'x' is a tensor the graph computes; NeuralNet.Onnx evaluates Gather at import"),
            // x + x.size(0): the batch length as a value.
            "batch_into_add" => (g.Node("Add", [x, g.Node("Cast", [shape], Int("to", 1))]), "add",
                "depends on the batch length (it is computed from a Shape)"),
            _ => (g.Node("ConstantOfShape", [shape]), "constantofshape",
                "its shape holds the batch length"),
        };
        g.Output(variant == "constant_of_batch_shape" ? g.Node("Add", [x, y]) : y);

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains($"node '/{op}_{y[1..]}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchLengthAsAGatherIndex_IsRefused_NotReadAsIndexZero()
    {
        // table[x.size(0)] feeding a reshape: the batch length is not known at import, and must not be taken as index 0.
        var g = new OnnxGraphs(25);
        string x = g.Input("x", -1, 4);
        string batch = g.Node("Gather", [g.Node("Shape", [x]), g.ConstantScalar(0)]);
        string picked = g.Node("Gather", [g.ConstantNode(2, 4), batch]);
        string target = g.Node("Concat", [g.ConstantNode(-1), g.Node("Unsqueeze", [picked, g.ConstantNode(0)])], Int("axis", 0));
        g.Output(g.Node("Reshape", [x, target]));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains($"node '/gather_{picked[1..]}' (Gather): input 1 '{batch}' holds the batch length", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConstantOfShapeOfTooManyElements_IsRefused_NamingTheNode()
    {
        // A damaged or hostile file asking for 2^30 elements (8 GB as folded doubles).
        var g = new OnnxGraphs(26);
        string x = g.Input("x", -1, 4);
        string big = g.Node("ConstantOfShape", [g.ConstantNode(1024, 1024, 1024)]);
        g.Output(g.Node("Add", [x, g.Node("Reshape", [big, g.ConstantNode(-1)])]));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains($"node '/constantofshape_{big[1..]}' (ConstantOfShape): it makes a constant of 1073741824 elements", error.Message, StringComparison.Ordinal);
    }

    private static Protobuf.TensorProto HalfTensor()
    {
        var tensor = new Protobuf.TensorProto { DataType = 1 };
        tensor.Dims.Add(1);
        tensor.FloatData.Add(0.5f);
        return tensor;
    }
}
