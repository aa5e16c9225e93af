using NeuralNet.Models;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// The refusals session 38's operators left untested (Clip bounds, HardSwish's opset, Pad's axes and crops), a damaged
/// Constant read while the GELU and LayerNorm patterns are sought, and Reshape's allowzero with the batch length.
/// </summary>
public sealed class ImportOperatorRefusalTests
{
    [Theory]
    [InlineData("clip_min_above_max", 13, "(Clip): min=0.7 is above max=0.3; NeuralNet's Clip takes min <= max", false)]
    [InlineData("hard_swish_opset_13", 13, "(HardSwish): HardSwish is an operator of opset 14 and later, but the file imports opset 13", true)]
    [InlineData("pad_axes", 18, "(Pad): input 3 (axes) is given; NeuralNet.Onnx imports Pad with pads for every axis", false)]
    [InlineData("pad_negative", 13, "(Pad): pads [0, 0, -1, 0, 0, 0, 1, 1] pad the batch or channel axis, or crop", false)]
    public void OperatorOutsideItsSupportedForm_IsRefused_NamingTheNode(string variant, int opset, string expected, bool invalid)
    {
        var g = new OnnxGraphs(81);
        string x = g.Input("image", -1, 3, 4, 4);
        string y = variant switch
        {
            "clip_min_above_max" => g.Node("Clip", [x, g.Scalar(0.7f), g.Scalar(0.3f)]),
            "hard_swish_opset_13" => g.Node("HardSwish", [x]),
            "pad_axes" => g.Node("Pad", [x, g.Int64s(1, 1, 1, 1), string.Empty, g.Int64s(2, 3)]),
            _ => g.Node("Pad", [x, g.Int64s(0, 0, -1, 0, 0, 0, 1, 1)]),
        };
        g.Output(y);

        Exception error = invalid
            ? Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes(opset)))
            : Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(opset)));
        Assert.Contains($"node '{g.Graph.Node[^1].Name}' {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DamagedConstantInsideAGeluPattern_IsInvalidData_NamingTheConstantNode()
    {
        // 0.5 * h * (1 + erf(h / sqrt(2))) whose 0.5 is a Constant of dims [1] holding two floats.
        var g = new OnnxGraphs(82);
        string h = g.Node("Relu", [g.Input("x", -1, 4)]);
        var tensor = new Protobuf.TensorProto { DataType = 1 };
        tensor.Dims.Add(1);
        tensor.FloatData.AddRange([0.5f, 0.25f]);
        string half = g.Node("Constant", [], new Protobuf.AttributeProto { Name = "value", Type = Protobuf.AttributeProto.Types.AttributeType.Tensor, T = tensor });
        string constantNode = g.Graph.Node[^1].Name;
        string erf = g.Node("Erf", [g.Node("Div", [h, g.Scalar(1.4142135f)])]);
        g.Output(g.Node("Mul", [g.Node("Mul", [h, g.Node("Add", [erf, g.Scalar(1f)])]), half]));

        var error = Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes(opset: 13)));
        Assert.Contains($"ONNX file 'test.onnx': node '{constantNode}' (Constant)'s value has dimensions [1] (1 elements) but holds 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReshapeWithAllowZeroAndTheBatchLength_KeepsTheBatch_MatchingOnnxRuntime()
    {
        // x.view(x.size(0), -1) written with allowzero=1 (opset 14): the batch length read by a Shape is no empty axis.
        var g = new OnnxGraphs(83);
        string x = g.Node("Relu", [g.Input("image", -1, 2, 3, 3)]);
        string batch = g.Node("Unsqueeze", [g.Node("Gather", [g.Node("Shape", [x]), g.ConstantScalar(0)], Int("axis", 0)), g.ConstantNode(0)]);
        string flat = g.Node("Reshape", [x, g.Node("Concat", [batch, g.ConstantNode(-1)], Int("axis", 0))], Int("allowzero", 1));
        g.Output(g.Node("Gemm", [flat, g.Weight([3, 18]), g.Weight([3])], Int("transB", 1)));

        foreach (int size in new[] { 3, 1 })
        {
            ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 14), "image", [size, 2, 3, 3]);
        }
    }

    [Theory]
    [InlineData("zero_entry", "(Reshape): allowzero=1 with a 0 in the shape makes an empty tensor")]
    [InlineData("batch_later", "(Reshape): entry 1 of its shape is the batch length (computed from a Shape)")]
    public void ReshapeWithAllowZero_IsRefusedForTheRightReason(string variant, string expected)
    {
        var g = new OnnxGraphs(84);
        string x = g.Node("Relu", [g.Input("x", -1, 6)]);
        string batch = g.Node("Unsqueeze", [g.Node("Gather", [g.Node("Shape", [x]), g.ConstantScalar(0)], Int("axis", 0)), g.ConstantNode(0)]);
        string shape = variant == "zero_entry" ? g.Int64s(-1, 0, 6) : g.Node("Concat", [g.ConstantNode(1), batch, g.ConstantNode(6)], Int("axis", 0));
        string y = g.Node("Reshape", [x, shape], Int("allowzero", 1));
        g.Output(y);

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(opset: 14)));
        Assert.Contains($"node '{g.Graph.Node[^1].Name}' {expected}", error.Message, StringComparison.Ordinal);
    }
}
