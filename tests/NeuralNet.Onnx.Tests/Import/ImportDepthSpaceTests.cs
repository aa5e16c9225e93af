using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;
using NeuralNet.Samples.Onnx;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// DepthToSpace (modes DCR and CRD) and SpaceToDepth import as the layers of the same names (CRD behind a channel regroup)
/// and compute ONNX Runtime's values bit for bit, since they only move values; export then import gives the original's.
/// </summary>
public sealed class ImportDepthSpaceTests
{
    // x -> op -> output, on a random (2, C, H, W) input: the imported model's output equals ONNX Runtime's to the bit.
    [Theory]
    [InlineData("DepthToSpace", "DCR", 2, 12, 3, 4)]
    [InlineData("DepthToSpace", "CRD", 2, 12, 3, 4)]
    [InlineData("DepthToSpace", "CRD", 3, 18, 2, 3)]
    [InlineData("DepthToSpace", null, 3, 9, 2, 2)]
    [InlineData("SpaceToDepth", null, 2, 3, 4, 6)]
    [InlineData("SpaceToDepth", null, 3, 2, 6, 3)]
    public void OperatorOnAnInput_EqualsOnnxRuntimeBitForBit(string op, string? mode, int block, int channels, int height, int width)
    {
        var g = new OnnxGraphs(41);
        string x = g.Input("image", -1, channels, height, width);
        AttributeProto[] attributes = mode is null ? [Int("blocksize", block)] : [Int("blocksize", block), String("mode", mode)];
        g.Output(g.Node(op, [x], attributes));
        byte[] onnx = g.ToBytes();
        int[] dims = [2, channels, height, width];
        float[] values = [.. Tensor.RandomNormal(new TensorShape(dims), 5).AsReadOnlySpan().ToArray()];

        (float[] Values, int[] Dimensions) runtime = Assert.Single(Run(onnx, "image", values, dims));
        (float[] expected, int[] expectedDims) = ImportChecks.ChannelsLastOutput(runtime.Values, runtime.Dimensions);
        Functional model = ImportChecks.Import(onnx);
        Tensor actual = model.Predict(ImportChecks.ChannelsLast(values, dims));

        Assert.Equal(expectedDims, actual.Shape.Dimensions.ToArray());
        Assert.Equal(expected, actual.ToArray());
        Assert.Single(model.Layers, l => l.GetType().Name == op);
        // CRD is the only form with the regroup in front: Reshape, Permute, Reshape.
        Assert.Equal(mode == "CRD" ? 2 : 0, model.Layers.OfType<NeuralNet.Layers.Reshape>().Count());
    }

    // PyTorch's sub-pixel head, Conv -> PixelShuffle (DepthToSpace CRD) -> Conv, and a PixelUnshuffle-like SpaceToDepth
    // between convolutions: within float rounding of ONNX Runtime (the convolutions sum in another order).
    [Theory]
    [InlineData("DepthToSpace", "CRD")]
    [InlineData("DepthToSpace", "DCR")]
    [InlineData("SpaceToDepth", null)]
    public void BetweenConvolutions_MatchesOnnxRuntime(string op, string? mode)
    {
        var g = new OnnxGraphs(42);
        string x = g.Input("image", -1, 3, 4, 6);
        string features = g.Node("Conv", [x, g.Weight([8, 3, 3, 3]), g.Weight([8])], Ints("pads", 1, 1, 1, 1));
        AttributeProto[] attributes = mode is null ? [Int("blocksize", 2)] : [Int("blocksize", 2), String("mode", mode)];
        string moved = g.Node(op, [features], attributes);
        int movedChannels = op == "DepthToSpace" ? 2 : 32;
        g.Output(g.Node("Conv", [moved, g.Weight([5, movedChannels, 1, 1]), g.Weight([5])]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [2, 3, 4, 6]);

        Assert.Single(model.Layers, l => l.GetType().Name == op);
    }

    [Fact]
    public void ExportedModel_ImportedBack_PredictsTheSame()
    {
        // SpaceToDepth of the input, a convolution, DepthToSpace back: the exporter's Transposes are absorbed.
        var x = new Input(new TensorShape(4, 6, 3), "x");
        SymbolicTensor packed = new SpaceToDepth(2).Call(x);
        SymbolicTensor features = new Conv2D(8, 1).Call(packed);
        var original = new Functional(x, new DepthToSpace(2).Call(features), name: "round_trip", seed: 9);
        Tensor[] inputs = OnnxRoundTrip.RandomInputs(original, batch: 3);

        Functional imported = ImportChecks.Import(original.ToOnnxBytes());

        Assert.Equal(original.Inputs[0].Shape, imported.Inputs[0].Shape);
        Tensor expected = original.Predict(inputs[0]), actual = imported.Predict(inputs[0]);
        Assert.Equal(expected.Shape, actual.Shape);
        ImportChecks.AssertClose(expected.AsReadOnlySpan(), actual.AsReadOnlySpan());
        Assert.Single(imported.Layers.OfType<SpaceToDepth>());
        Assert.Equal(2, Assert.Single(imported.Layers.OfType<DepthToSpace>()).BlockSize);
    }

    [Theory]
    [InlineData("mode", "attribute mode='XYZ' is neither 'DCR' nor 'CRD', ONNX's two DepthToSpace orders")]
    [InlineData("no_blocksize", "the required attribute blocksize is missing")]
    [InlineData("zero_blocksize", "attribute blocksize=0 is not a positive block side (1 to 46340)")]
    [InlineData("channels", "input 0 (input) 'image' [N, 6, 3, 4] has 6 channels, not a multiple of blocksize² = 4")]
    [InlineData("space_to_depth_height", "input 0 (input) 'image' [N, 6, 3, 4] has a height or width that is not a multiple of blocksize = 2")]
    public void MalformedNode_IsInvalid_SayingWhatIsWrong(string variant, string expected)
    {
        var g = new OnnxGraphs(43);
        string x = g.Input("image", -1, 6, 3, 4);
        g.Output(variant switch
        {
            "mode" => g.Node("DepthToSpace", [x], Int("blocksize", 2), String("mode", "XYZ")),
            "no_blocksize" => g.Node("DepthToSpace", [x]),
            "zero_blocksize" => g.Node("SpaceToDepth", [x], Int("blocksize", 0)),
            "channels" => g.Node("DepthToSpace", [x], Int("blocksize", 2)),
            _ => g.Node("SpaceToDepth", [x], Int("blocksize", 2)),
        });

        var error = Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes()));

        Assert.Contains($"node '{g.Graph.Node[^1].Name}' ({g.Graph.Node[^1].OpType}): {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OperatorOnAValueThatIsNoImage_IsRefusedNamingTheNode()
    {
        var g = new OnnxGraphs(44);
        string x = g.Input("sequence", -1, 8, 5);
        g.Output(g.Node("DepthToSpace", [x], Int("blocksize", 2)));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));

        Assert.Contains($"node '{g.Graph.Node[^1].Name}' (DepthToSpace): input 0 (input) has dimensions [N, 8, 5]; NeuralNet.Onnx imports DepthToSpace on (N, C, H, W) images", error.Message, StringComparison.Ordinal);
    }
}
