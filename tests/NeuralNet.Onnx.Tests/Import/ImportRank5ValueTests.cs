using NeuralNet.Models;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// Values of rank 5 are held in ONNX's order: a Reshape of an image to rank 5 imports and predicts what ONNX Runtime
/// computes; a rank-4 value made from one (not an image NeuralNet holds channels last) is refused by an image operator,
/// which says so rather than blaming a Transpose.
/// </summary>
public sealed class ImportRank5ValueTests
{
    [Fact]
    public void ReshapeOfAnImageToRank5_MatchesOnnxRuntime()
    {
        // Conv -> Reshape to [-1, 3, 2, 2, 5]: the image read back in ONNX's (C, H, W) order (a Permute), then reshaped.
        var g = new OnnxGraphs(52);
        string x = g.Input("image", -1, 3, 4, 5);
        g.Output(g.Node("Reshape", [g.Node("Conv", [x, g.Weight([3, 3, 1, 1])]), g.Int64s(-1, 3, 2, 2, 5)]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [2, 3, 4, 5]);

        Assert.Equal(["InputLayer", "Conv2D", "Permute", "Reshape"], model.Layers.Select(l => l.GetType().Name));
        Assert.Equal([3, 2, 2, 5], model.Outputs[0].Shape.Dimensions.ToArray());
    }

    [Fact]
    public void RankFourValueReducedFromRank5_IsRefusedByConv_SayingItIsHeldInOnnxOrder()
    {
        // Unsqueeze(image, 2) -> ReduceMean(axes=[2], keepdims=0): (N, 3, 4, 5) again, but held in ONNX's order, with no
        // Transpose anywhere (the message said one had put it out of order).
        var g = new OnnxGraphs(53);
        string x = g.Input("image", -1, 3, 4, 5);
        string conv = g.Node("Conv", [x, g.Weight([3, 3, 1, 1])]);
        string mean = g.Node("ReduceMean", [g.Node("Unsqueeze", [conv, g.Int64s(2)])], Ints("axes", 2), Int("keepdims", 0));
        g.Output(g.Node("Conv", [mean, g.Weight([2, 3, 3, 3])]));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains($"node '{g.Graph.Node[^1].Name}' (Conv): input 0 (X) '{mean}' [N, 3, 4, 5] is held in ONNX's order, not as a channels-first image (as after a Transpose, or when made from a value of another rank); NeuralNet.Onnx imports Conv on (N, C, H, W) images", error.Message, StringComparison.Ordinal);
    }
}
