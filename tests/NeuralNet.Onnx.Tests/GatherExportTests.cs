using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Converters;
using NeuralNet.Onnx.Protobuf;
using Xunit;

namespace NeuralNet.Onnx.Tests;

/// <summary>
/// Take, TakeAlongAxis, SegmentSum and SegmentMax (session 44) exported and run in ONNX Runtime on valid indices (random
/// ones would not be), negative indices and empty segments included: a gather moves values, so ONNX Runtime's must equal
/// Predict's exactly; sums within the round-trip tolerance.
/// </summary>
public class GatherExportTests
{
    // Data (batch 3, 5, 4), indices (batch 3, 2, 3) in [-5, 5); per sample its own.
    private static (Tensor Data, Tensor Indices) TakeInputs(int[] dataShape, int[] indexShape, int size, long seed)
    {
        Tensor data = Tensor.RandomNormal(new TensorShape(dataShape), seed);
        var random = new Random((int)seed);
        int count = indexShape.Aggregate(1, (p, d) => p * d);
        return (data, Tensor.FromArray([.. Enumerable.Range(0, count).Select(_ => (float)random.Next(-size, size))], indexShape));
    }

    private static Functional Two(int[] data, int[] indices, Layer layer)
    {
        var x = new Input(new TensorShape(data[1..]), name: "data");
        var i = new Input(new TensorShape(indices[1..]), name: "indices");
        return new Functional([x, i], layer.Call(x, i), seed: 1);
    }

    private static void AssertExact(Functional model, Tensor[] inputs, int opset)
    {
        float[] expected = model.Predict(inputs).ToArray();
        (float[] values, int[] dimensions) = OnnxRoundTrip.RunOnnx(model.ToOnnxBytes(new OnnxExportOptions { Opset = opset }), model, inputs).Values.Single();
        Assert.Equal(model.Predict(inputs).Shape.Dimensions.ToArray(), dimensions);
        Assert.Equal(expected, values);
    }

    [Theory]
    [InlineData(1, new[] { 3, 5, 4 }, new[] { 3, 2, 3 })]
    [InlineData(2, new[] { 3, 2, 5, 2 }, new[] { 3, 7 })]
    [InlineData(-1, new[] { 3, 4, 5 }, new[] { 3, 6 })]
    public void Export_Take_MatchesPredictExactlyInOnnxRuntimeAtEveryOpset(int axis, int[] dataShape, int[] indexShape)
    {
        int size = dataShape[axis < 0 ? axis + dataShape.Length : axis];
        (Tensor data, Tensor indices) = TakeInputs(dataShape, indexShape, size, seed: 2);
        Functional model = Two(dataShape, indexShape, new Take(axis));
        foreach (int opset in new[] { OnnxExporter.MinimumOpset, OnnxExporter.DefaultOpset, OnnxExporter.MaximumOpset })
        {
            AssertExact(model, [data, indices], opset);
        }

        GraphProto graph = ModelProto.Parser.ParseFrom(model.ToOnnxBytes()).Graph;
        Assert.Contains(graph.Node, n => n.OpType == "GatherElements");
    }

    [Theory]
    [InlineData(2, new[] { 3, 2, 5 }, new[] { 3, 2, 4 })]
    [InlineData(1, new[] { 3, 5, 3 }, new[] { 3, 2, 1 })]
    [InlineData(2, new[] { 3, 1, 5 }, new[] { 3, 4, 2 })]
    public void Export_TakeAlongAxis_MatchesPredictExactlyWithBroadcasts(int axis, int[] dataShape, int[] indexShape)
    {
        (Tensor data, Tensor indices) = TakeInputs(dataShape, indexShape, dataShape[axis], seed: 3);
        Functional model = Two(dataShape, indexShape, new TakeAlongAxis(axis));
        foreach (int opset in new[] { OnnxExporter.MinimumOpset, OnnxExporter.DefaultOpset, OnnxExporter.MaximumOpset })
        {
            AssertExact(model, [data, indices], opset);
        }
    }

    [Fact]
    public void Export_SegmentSumAndMax_MatchPredictInOnnxRuntimeWithEmptySegments()
    {
        // Ids in [0, 4) for 6 segments: 4 and 5 always empty (0 for the sum, float32's lowest for the maximum).
        Tensor data = Tensor.RandomNormal(new TensorShape(3, 7, 2), 4);
        var random = new Random(5);
        Tensor ids = Tensor.FromArray([.. Enumerable.Range(0, 21).Select(_ => (float)random.Next(0, 4))], 3, 7);
        Tensor[] inputs = [data, ids];

        Functional sum = Two([3, 7, 2], [3, 7], new SegmentSum(6));
        foreach (int opset in new[] { GatherConverters.ScatterAddOpset, OnnxExporter.DefaultOpset, OnnxExporter.MaximumOpset })
        {
            (float[] values, _) = OnnxRoundTrip.RunOnnx(sum.ToOnnxBytes(new OnnxExportOptions { Opset = opset }), sum, inputs).Values.Single();
            OnnxRoundTrip.AssertClose(sum.Predict(inputs).ToArray(), values, $"segment_sum at opset {opset}");
        }

        Functional max = Two([3, 7, 2], [3, 7], new SegmentMax(6));
        foreach (int opset in new[] { GatherConverters.ScatterMaxOpset, OnnxExporter.MaximumOpset })
        {
            AssertExact(max, inputs, opset);
        }

        Assert.Contains(SegmentMax.EmptySegmentValue, max.Predict(inputs).ToArray());
    }

    [Fact]
    public void Export_TakeWithNoAxis_ReadsEachSampleFlattenedAsPredict()
    {
        // Data (3, 2, 3, 2): 12 entries per sample, indices (3, 2, 4) in [-12, 12).
        (Tensor data, Tensor indices) = TakeInputs([3, 2, 3, 2], [3, 2, 4], 12, seed: 6);
        Functional model = Two([3, 2, 3, 2], [3, 2, 4], new Take());
        foreach (int opset in new[] { OnnxExporter.MinimumOpset, OnnxExporter.MaximumOpset })
        {
            AssertExact(model, [data, indices], opset);
        }
    }

    [Fact]
    public void Export_SegmentIdsOutOfRange_AreDroppedInOnnxRuntimeAsByPredict()
    {
        // Ids in [-3, 9) for 6 segments: negative ones and 6..8 dropped, as the layers drop them (session 45).
        Tensor data = Tensor.RandomNormal(new TensorShape(3, 7, 2), 7);
        var random = new Random(8);
        Tensor ids = Tensor.FromArray([.. Enumerable.Range(0, 21).Select(_ => (float)random.Next(-3, 9))], 3, 7);
        Assert.Contains(ids.ToArray(), v => v < 0);
        Assert.Contains(ids.ToArray(), v => v >= 6);
        Tensor[] inputs = [data, ids];

        Functional sum = Two([3, 7, 2], [3, 7], new SegmentSum(6));
        (float[] values, _) = OnnxRoundTrip.RunOnnx(sum.ToOnnxBytes(new OnnxExportOptions { Opset = GatherConverters.ScatterAddOpset }), sum, inputs).Values.Single();
        OnnxRoundTrip.AssertClose(sum.Predict(inputs).ToArray(), values, "segment_sum with dropped ids");

        AssertExact(Two([3, 7, 2], [3, 7], new SegmentMax(6)), inputs, GatherConverters.ScatterMaxOpset);
    }

    [Fact]
    public void Export_SegmentLayersBeforeTheirScatterReduction_IsRefusedNamingTheOpset()
    {
        Functional max = Two([3, 7, 2], [3, 7], new SegmentMax(6, name: "pool"));
        var error = Assert.Throws<NotSupportedException>(() => max.ToOnnxBytes(new OnnxExportOptions { Opset = 17 }));
        Assert.Contains("Layer 'pool' (SegmentMax)", error.Message, StringComparison.Ordinal);
        Assert.Contains("from opset 18", error.Message, StringComparison.Ordinal);

        Functional sum = Two([3, 7, 2], [3, 7], new SegmentSum(6, name: "agg"));
        error = Assert.Throws<NotSupportedException>(() => sum.ToOnnxBytes(new OnnxExportOptions { Opset = 15 }));
        Assert.Contains("from opset 16", error.Message, StringComparison.Ordinal);
    }

    [OnnxCheckerFact]
    public void Export_GatherAndSegmentModels_PassTheOnnxChecker()
    {
        Assert.True(OnnxChecker.PythonWithOnnx is not null, "ONNX's checker is required but no Python with the onnx package was found.");
        int newest = OnnxChecker.NewestOpset();
        string folder = Directory.CreateTempSubdirectory("neuralnet-gather-check-").FullName;
        try
        {
            (string Name, Functional Model, int Opset)[] models =
            [
                ("take", Two([1, 5, 4], [1, 2, 3], new Take(1)), OnnxExporter.MinimumOpset),
                ("take_flattened", Two([1, 5, 4], [1, 2, 3], new Take()), OnnxExporter.MinimumOpset),
                ("take_along_axis", Two([1, 1, 5], [1, 4, 2], new TakeAlongAxis(2)), OnnxExporter.MinimumOpset),
                ("segment_sum", Two([1, 7, 2], [1, 7], new SegmentSum(6)), GatherConverters.ScatterAddOpset),
                ("segment_max", Two([1, 7, 2], [1, 7], new SegmentMax(6)), GatherConverters.ScatterMaxOpset),
            ];
            int files = 0;
            foreach ((string name, Functional model, int opset) in models)
            {
                foreach (int o in new[] { opset, OnnxExporter.DefaultOpset, OnnxExporter.MaximumOpset }.Where(o => o >= opset && o <= newest).Distinct())
                {
                    model.ExportOnnx(Path.Combine(folder, $"{name}.opset{o}.onnx"), new OnnxExportOptions { Opset = o });
                    files++;
                }
            }

            (int exitCode, string report) = OnnxChecker.Check(folder);
            Assert.True(exitCode == 0, report);
            Assert.Contains($"checked {files} ", report, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
