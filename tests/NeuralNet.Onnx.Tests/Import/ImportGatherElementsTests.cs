using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// GatherElements by per-sample indices imports as TakeAlongAxis (session 45): an exported TakeAlongAxis comes back and
/// predicts as the original, hand-built graphs (a float input cast to int64, with and without the Mod ExportOnnx writes,
/// a channels-first image) predict what ONNX Runtime computes, and every other form is refused naming the node and why.
/// </summary>
public sealed class ImportGatherElementsTests
{
    // Whole numbers in [-size, size): negative ones count from the end, in ONNX as in the layer.
    private static float[] Indices(int count, int size, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)random.Next(-size, size))];
    }

    [Fact]
    public void ExportedTakeAlongAxis_ImportsBackAsTakeAlongAxisWithTheSamePredictions()
    {
        var x = new Input(new TensorShape(3, 5), name: "data");
        var i = new Input(new TensorShape(3, 2), name: "indices");
        var original = new Functional([x, i], new Dense(4).Call(new TakeAlongAxis(-1).Call(new Dense(5).Call(x), i)), seed: 3);
        Tensor data = Tensor.RandomNormal(new TensorShape(4, 3, 5), 4), indices = Tensor.FromArray(Indices(24, 5, 5), 4, 3, 2);

        Functional imported = OnnxImporter.Import(new MemoryStream(original.ToOnnxBytes()), "take_along_axis.onnx");

        Assert.Equal(2, Assert.Single(imported.Layers.OfType<TakeAlongAxis>()).Axis);
        Assert.Equal(original.Predict([data, indices]).ToArray(), imported.Predict([data, indices]).ToArray());
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(2, true)]
    [InlineData(1, false)]
    public void HandBuiltGatherElementsOfCastIndices_MatchesOnnxRuntime(long axis, bool mod)
    {
        // data (N, 3, 5); indices (N, 3, 2) along the last axis, or (N, 4, 5) along axis 1 (length 3).
        int length = axis == 1 ? 3 : 5;
        long[] indexDims = axis == 1 ? [-1, 4, 5] : [-1, 3, 2];
        var g = new OnnxGraphs(41);
        string data = g.Input("data", -1, 3, 5);
        string picks = g.Input("picks", indexDims);
        string integers = g.Node("Cast", [picks], Int("to", 7));
        if (mod)
        {
            integers = g.Node("Mod", [integers, g.Int64s(length)]);
        }

        g.Output(g.Node("GatherElements", [g.Node("Relu", [data]), integers], Int("axis", axis)));
        int[] pickDims = [2, (int)indexDims[1], (int)indexDims[2]];

        Functional model = ImportChecks.Import(g.ToBytes());

        Assert.Single(model.Layers.OfType<TakeAlongAxis>());
        AssertMatchesRuntime(g.ToBytes(), model, [2, 3, 5], pickDims, Indices(pickDims.Aggregate(1, (p, d) => p * d), length, 6));
    }

    [Fact]
    public void HandBuiltGatherElementsOfAChannelsFirstImage_PicksAlongTheSameAxisHeldChannelsLast()
    {
        // data (N, 3, 4, 5), indices (N, 3, 2, 5) along the height (ONNX axis 2): held channels last, Keras axis 1.
        var g = new OnnxGraphs(42);
        string data = g.Input("image", -1, 3, 4, 5);
        string picks = g.Input("rows", -1, 3, 2, 5);
        g.Output(g.Node("GatherElements", [g.Node("Relu", [data]), g.Node("Cast", [picks], Int("to", 7))], Int("axis", 2)));

        Functional model = ImportChecks.Import(g.ToBytes());

        Assert.Equal(1, Assert.Single(model.Layers.OfType<TakeAlongAxis>()).Axis);
        AssertMatchesRuntime(g.ToBytes(), model, [2, 3, 4, 5], [2, 3, 2, 5], Indices(60, 4, 7));
    }

    [Theory]
    [InlineData("batch_axis", "attribute axis=0 is the batch axis, along which each output row would read other samples' rows")]
    [InlineData("constant_indices", "is a constant, which has no batch axis of its own")]
    [InlineData("corner", "differ on axis 1, which is not the gathered axis 2 (ONNX reads a corner of the data there, where TakeAlongAxis would broadcast)")]
    [InlineData("wrong_mod", "is taken Mod 4, not Mod 5, the length of axis 2")]
    public void GatherElementsThatIsNotPerSample_IsRefusedNamingTheNodeAndWhy(string variant, string expected)
    {
        var g = new OnnxGraphs(43);
        string data = g.Node("Relu", [g.Input("data", -1, 3, 5)]);
        string picks = g.Input("picks", -1, variant == "corner" ? 2 : 3, 2);
        string Cast() => g.Node("Cast", [picks], Int("to", 7));
        g.Output(variant switch
        {
            "batch_axis" => g.Node("GatherElements", [data, Cast()], Int("axis", 0)),
            "constant_indices" => g.Node("GatherElements", [data, g.Integers(7, [1, 3, 2], 0, 1, 2, 3, 4, 0)], Int("axis", 2)),
            "wrong_mod" => g.Node("GatherElements", [data, g.Node("Mod", [Cast(), g.Int64s(4)])], Int("axis", 2)),
            _ => g.Node("GatherElements", [data, Cast()], Int("axis", 2)),
        });
        string gather = g.Graph.Node.Single(n => n.OpType == "GatherElements").Name;

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));

        Assert.Contains($"node '{gather}' (GatherElements): ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("NeuralNet.Onnx imports GatherElements as TakeAlongAxis", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExportedTake_IsRefusedAtItsIndicesModReadByAReshape()
    {
        var x = new Input(new TensorShape(5, 4), name: "data");
        var i = new Input(new TensorShape(3), name: "indices");
        var take = new Functional([x, i], new Take(1).Call(x, i), seed: 3);

        var error = Assert.Throws<NotSupportedException>(() => OnnxImporter.Import(new MemoryStream(take.ToOnnxBytes()), "take.onnx"));

        Assert.Contains("(Mod): its output", error.Message, StringComparison.Ordinal);
        Assert.Contains("is read by another operator than GatherElements", error.Message, StringComparison.Ordinal);
    }

    // ONNX Runtime on the ONNX-layout inputs against the imported model on the same values, rank-4 ones channels last.
    private static void AssertMatchesRuntime(byte[] onnx, Functional model, int[] dataDims, int[] indexDims, float[] indices)
    {
        float[] data = [.. Tensor.RandomNormal(new TensorShape(dataDims), 8).AsReadOnlySpan().ToArray()];
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(onnx, options);
        string[] names = [.. session.InputMetadata.Keys];
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor(names[0], new DenseTensor<float>(data, dataDims)),
            NamedOnnxValue.CreateFromTensor(names[1], new DenseTensor<float>(indices, indexDims)),
        ]);
        Tensor<float> expected = results.Single().AsTensor<float>();
        (float[] wanted, int[] wantedDims) = ImportChecks.ChannelsLastOutput(expected.ToArray(), expected.Dimensions.ToArray());

        Tensor ours = model.Predict([ImportChecks.ChannelsLast(data, dataDims), ImportChecks.ChannelsLast(indices, indexDims)]);

        Assert.Equal(wantedDims, ours.Shape.Dimensions.ToArray());
        Assert.Equal(wanted, ours.ToArray());
    }
}
