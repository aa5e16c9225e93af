using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// Split (<c>torch.split</c> / <c>torch.chunk</c>: the split attribute before opset 13, the input from 13, equal pieces,
/// opset 18's num_outputs), LogSoftmax (2-D coerced before opset 13) and Transpose of a constant (a MatMul weight stored transposed).
/// </summary>
public sealed class ImportSplitAndLogSoftmaxTests
{
    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void SplitOfImageChannels_MatchesOnnxRuntime(int opset)
    {
        // torch.split(x, [2, 4], dim=1) of a Conv's output, one piece ReLU'd and the other pooled, both outputs.
        var g = new OnnxGraphs(71);
        string x = g.Input("image", -1, 3, 5, 4);
        x = g.Node("Conv", [x, g.Weight([6, 3, 3, 3]), g.Weight([6])], Ints("kernel_shape", 3, 3));
        var split = opset < 13
            ? SplitNode(g, [x], 2, Int("axis", 1), Ints("split", 2, 4))
            : SplitNode(g, [x, g.Int64s(2, 4)], 2, Int("axis", 1));
        g.Output(g.Node("Relu", [split[0]]));
        g.Output(g.Node("GlobalAveragePool", [split[1]]));

        foreach (int batch in new[] { 3, 1 })
        {
            Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset), "image", [batch, 3, 5, 4]);

            Assert.Equal([2], Assert.Single(model.Layers.OfType<Split>()).Indices);
        }
    }

    [Theory]
    [InlineData(13, 6, 3)]
    [InlineData(18, 7, 3)]
    [InlineData(11, 8, 2)]
    public void EqualSplitOfFeatures_MatchesOnnxRuntime(int opset, int features, int pieces)
    {
        // torch.chunk(h, pieces, dim=-1): equal pieces without lengths (before 18), num_outputs from 18 (7 in 3: 3, 3, 1).
        var g = new OnnxGraphs(72);
        string h = g.Node("MatMul", [g.Input("x", -1, 5), g.Weight([5, features])]);
        string[] parts = opset >= 18
            ? SplitNode(g, [h], pieces, Int("axis", -1), Int("num_outputs", pieces))
            : SplitNode(g, [h], pieces, Int("axis", -1));
        foreach (string part in parts)
        {
            g.Output(g.Node("Tanh", [part]));
        }

        foreach (int batch in new[] { 3, 1 })
        {
            ImportChecks.AssertMatchesRuntime(g.ToBytes(opset), "x", [batch, 5]);
        }
    }

    [Theory]
    [InlineData("batch", "(Split): attribute axis=0 on an input of dimensions [N, 6]", false)]
    [InlineData("uneven", "(Split): it splits an axis of length 6 into 4 equal pieces without giving their lengths, but 4 does not divide 6", true)]
    [InlineData("sum", "(Split): split [2, 3] does not add up to the length 6 of axis 1 of [N, 6]", true)]
    [InlineData("negative", "(Split): split [7, -1] has a negative length; each piece's length must be 0 or more", true)]
    [InlineData("empty_piece", "(Split): split [6, 0] of axis 1 of [N, 6] makes an empty piece", false)]
    public void SplitOutsideTheSupportedForms_IsRefused_NamingTheNode(string variant, string expected, bool invalid)
    {
        var g = new OnnxGraphs(73);
        string x = g.Node("Relu", [g.Input("x", -1, 6)]);
        string[] parts = variant switch
        {
            "batch" => SplitNode(g, [x], 2, Int("axis", 0)),
            "uneven" => SplitNode(g, [x], 4, Int("axis", 1)),
            "sum" => SplitNode(g, [x, g.Int64s(2, 3)], 2, Int("axis", 1)),
            "negative" => SplitNode(g, [x, g.Int64s(7, -1)], 2, Int("axis", 1)),
            _ => SplitNode(g, [x, g.Int64s(6, 0)], 2, Int("axis", 1)),
        };
        g.Output(parts[0]);

        Exception error = invalid
            ? Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes(opset: 13)))
            : Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(opset: 13)));
        Assert.Contains($"node '/split_{parts[0][1..]}' {expected}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5, 4, "(Split): attribute num_outputs=4 on an axis of length 5: ONNX's pieces of ⌈5 / 4⌉ = 2 leave -1 for the last one; (num_outputs − 1) · ⌈length / num_outputs⌉ must not exceed the length", true)]
    [InlineData(4, 3, "(Split): split [2, 2, 0] of axis 1 of [N, 4] makes an empty piece", false)]
    public void NumOutputsWithoutALastPiece_IsRefused_NamingTheNode(int length, int pieces, string expected, bool invalid)
    {
        // Opset 18's num_outputs: 5 in 4 would need a last piece of -1 (ONNX Runtime: "Split sizes would produce a negative
        // final split"), an invalid file; 4 in 3 is [2, 2, 0], valid ONNX, but the empty piece is no NeuralNet tensor.
        var g = new OnnxGraphs(77);
        string[] parts = SplitNode(g, [g.Node("Relu", [g.Input("x", -1, length)])], pieces, Int("axis", 1), Int("num_outputs", pieces));
        foreach (string part in parts)
        {
            g.Output(part);
        }

        Exception error = invalid
            ? Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes(opset: 18)))
            : Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(opset: 18)));
        Assert.Contains($"node '/split_{parts[0][1..]}' {expected}", error.Message, StringComparison.Ordinal);
        if (invalid)
        {
            // ONNX Runtime refuses the file too.
            Assert.ThrowsAny<Exception>(() => OnnxGraphs.Run(g.ToBytes(opset: 18), "x", new float[2 * length], [2, length]));
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void LogSoftmax_MatchesOnnxRuntime(int opset)
    {
        // F.log_softmax(fc(x), dim=1), and over the channels of pooled maps (opset 11: the input flattened at axis 1).
        var g = new OnnxGraphs(74);
        string x = g.Input("image", -1, 4, 3, 3);
        string pooled = g.Node("GlobalAveragePool", [x]);
        g.Output(g.Node("LogSoftmax", [pooled], Int("axis", 1)));
        string flat = g.Node("Flatten", [x], Int("axis", 1));
        g.Output(g.Node("LogSoftmax", [g.Node("Gemm", [flat, g.Weight([5, 36]), g.Weight([5])], Int("transB", 1))], Int("axis", 1)));

        foreach (int batch in new[] { 3, 1 })
        {
            Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset), "image", [batch, 4, 3, 3]);

            Assert.Equal(2, model.Layers.OfType<LogSoftmax>().Count());
        }
    }

    [Fact]
    public void Opset11LogSoftmaxOverSeveralAxes_IsRefused_NamingTheAxis()
    {
        var g = new OnnxGraphs(75);
        string y = g.Node("LogSoftmax", [g.Input("x", -1, 3, 4)], Int("axis", 1));
        g.Output(y);

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(opset: 11)));
        Assert.Contains($"node '/logsoftmax_{y[1..]}' (LogSoftmax): attribute axis=1 at opset 11 takes one log-softmax over axes 1 to 2 of [N, 3, 4] together", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MatMulByATransposedInitializer_FoldsTheTranspose_MatchingOnnxRuntime()
    {
        // x @ W.t() with W stored (out, in) = (3, 5), and a Transpose of a 3-D constant with a perm read by an Add.
        var g = new OnnxGraphs(76);
        string x = g.Input("x", -1, 5);
        string h = g.Node("MatMul", [x, g.Node("Transpose", [g.Weight([3, 5])], Ints("perm", 1, 0))]);
        h = g.Node("Add", [h, g.Node("Transpose", [g.Weight([3])])]);
        g.Output(g.Node("MatMul", [g.Node("Relu", [h]), g.Node("Transpose", [g.Weight([2, 3])])]));

        foreach (int batch in new[] { 3, 1 })
        {
            Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset: 13), "x", [batch, 5]);

            Assert.Equal(2, model.Layers.OfType<Dense>().Count());
            Assert.Empty(model.Layers.OfType<Permute>());
        }
    }

    // A node with several outputs, named as OnnxGraphs names single ones (t<count>) and then _1, _2, ...
    private static string[] SplitNode(OnnxGraphs g, string[] inputs, int outputs, params Protobuf.AttributeProto[] attributes)
    {
        string first = g.Node("Split", inputs, attributes);
        Protobuf.NodeProto node = g.Graph.Node[^1];
        for (int i = 1; i < outputs; i++)
        {
            node.Output.Add($"{first}_{i}");
        }

        return [.. node.Output];
    }
}
