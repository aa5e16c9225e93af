using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Operations;

/// <summary>
/// SegmentSum and SegmentMax (session 44): Keras' <c>ops.segment_sum</c> and <c>ops.segment_max</c> per sample, ids held
/// in floats. Values as in Keras' math_test.py (data (1, 2, 10, 20, 100, 200), ids (0, 0, 1, 1, 2, 2)) and worked by hand.
/// </summary>
public class SegmentLayerTests
{
    private static Tensor KerasData() => Tensor.FromArray([1f, 2f, 10f, 20f, 100f, 200f], 1, 6);

    private static Tensor KerasIds() => Tensor.FromArray([0f, 0f, 1f, 1f, 2f, 2f], 1, 6);

    [Fact]
    public void Forward_SegmentSumAndMaxOfKerasTestValues_GiveKerasResults()
    {
        Assert.Equal([3f, 30f, 300f], new SegmentSum(3).Forward([KerasData(), KerasIds()], training: false).ToArray());
        Assert.Equal([2f, 20f, 200f], new SegmentMax(3).Forward([KerasData(), KerasIds()], training: false).ToArray());
        Assert.Equal([3f, 30f, 300f], new SegmentSum(3, sorted: true).Forward([KerasData(), KerasIds()], training: false).ToArray());
    }

    [Fact]
    public void Forward_RowsWithEmptySegments_SumToZeroAndMaxToFloat32Lowest()
    {
        // Rows ((1, -2), (3, 4), (-5, 6), (7, -8)) with ids (2, 0, 2, 0) into 4 segments: segment 0 = rows 1 and 3,
        // segment 2 = rows 0 and 2; 1 and 3 are empty. Sum: (10, -4), (0, 0), (-4, 4), (0, 0);
        // max: (7, 4), lowest, (1, 6), lowest (TensorFlow's unsorted_segment_max).
        Tensor data = Tensor.FromArray([1f, -2f, 3f, 4f, -5f, 6f, 7f, -8f], 1, 4, 2);
        Tensor ids = Tensor.FromArray([2f, 0f, 2f, 0f], 1, 4);
        const float L = float.MinValue;

        Tensor sum = new SegmentSum(4).Forward([data, ids], training: false);
        Tensor max = new SegmentMax(4).Forward([data, ids], training: false);

        Assert.Equal(new TensorShape(1, 4, 2), sum.Shape);
        Assert.Equal([10f, -4f, 0f, 0f, -4f, 4f, 0f, 0f], sum.ToArray());
        Assert.Equal([7f, 4f, L, L, 1f, 6f, L, L], max.ToArray());
        Assert.Equal(-3.4028235e38f, SegmentMax.EmptySegmentValue);
    }

    [Fact]
    public void Forward_TwoDimensionalIds_SegmentTheLeadingAxesOfEachSampleOnItsOwn()
    {
        // Per sample, data (2, 2, 1) and ids (2, 2): sample 0 ids ((0, 1), (1, 1)) over (1, 2, 3, 4): (1, 9);
        // sample 1 ids ((0, 0), (0, 1)) over (10, 20, 30, 40): (60, 40).
        Tensor data = Tensor.FromArray([1f, 2f, 3f, 4f, 10f, 20f, 30f, 40f], 2, 2, 2, 1);
        Tensor ids = Tensor.FromArray([0f, 1f, 1f, 1f, 0f, 0f, 0f, 1f], 2, 2, 2);
        Tensor y = new SegmentSum(2).Forward([data, ids], training: false);
        Assert.Equal(new TensorShape(2, 2, 1), y.Shape);
        Assert.Equal([1f, 9f, 60f, 40f], y.ToArray());
    }

    [Theory]
    [InlineData(0.5f, "got 0.5 at position (0, 4)")]
    [InlineData(-1.5f, "got -1.5 at position (0, 4)")]
    public void Forward_SegmentIdThatIsNotAWholeNumber_IsRefusedNamingTheValueAndPosition(float bad, string where)
    {
        // Session 45: whole ids out of [0, 3) are dropped as Keras' backends drop them (SegmentDroppedIdsTests); a fraction is refused.
        Tensor ids = Tensor.FromArray([0f, 0f, 1f, 1f, bad, 2f], 1, 6);
        foreach (Layer layer in new Layer[] { new SegmentSum(3, name: "agg"), new SegmentMax(3, name: "agg") })
        {
            var error = Assert.Throws<ArgumentException>(() => layer.Forward([KerasData(), ids], training: false));
            Assert.Contains($"{layer.TypeName} 'agg'", error.Message, StringComparison.Ordinal);
            Assert.Contains("segment ids that are whole numbers (those in [0, 3) name a segment", error.Message, StringComparison.Ordinal);
            Assert.Contains(where, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Forward_SortedPromiseBroken_IsRefusedNamingThePositions()
    {
        Tensor ids = Tensor.FromArray([0f, 1f, 0f, 1f, 2f, 2f], 1, 6);
        var error = Assert.Throws<ArgumentException>(() => new SegmentSum(3, sorted: true, name: "s").Forward([KerasData(), ids], training: false));
        Assert.Contains("SegmentSum 's' was told its segment ids are sorted", error.Message, StringComparison.Ordinal);
        Assert.Contains("holds 1 then 0 at positions 1 and 2", error.Message, StringComparison.Ordinal);

        // Unsorted is fine without the promise; a new sample may start lower.
        Assert.Equal([11f, 22f, 300f], new SegmentSum(3).Forward([KerasData(), ids], training: false).ToArray());
        Tensor two = Tensor.FromArray([1f, 1f, 0f, 1f], 2, 2);
        Assert.Equal([0f, 2f, 1f, 1f], new SegmentSum(2, sorted: true).Forward([Tensor.Ones(2, 2), two], training: false).ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    [InlineData((1 << 24) + 1)]
    public void Constructor_NumSegmentsNotPositiveOrBeyondFloatIds_IsRefused(int numSegments)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentSum(numSegments));
        Assert.Contains($"numSegments={numSegments}", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentMax(numSegments));
    }

    [Fact]
    public void Build_IdsThatAreNotTheDataLeadingAxes_IsRefusedNamingTheShapes()
    {
        var error = Assert.Throws<ArgumentException>(() => new SegmentMax(2, name: "m").Forward([Tensor.Ones(1, 4, 3), Tensor.Zeros(1, 3)], training: false));
        Assert.Contains("SegmentMax 'm'", error.Message, StringComparison.Ordinal);
        Assert.Contains("data (None, 4, 3) and segment ids (None, 3)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { 2, 7, 3 }, new[] { 2, 7 })]
    [InlineData(new[] { 2, 3, 2, 2 }, new[] { 2, 3, 2 })]
    public void Backward_SegmentSumAndMax_MatchNumericalGradients(int[] dataShape, int[] idShape)
    {
        var random = new Random(11);
        Tensor ids = Tensor.FromArray([.. Enumerable.Range(0, idShape.Aggregate(1, (p, d) => p * d)).Select(_ => (float)random.Next(0, 4))], idShape);

        // The sum with a segment left empty (4 of 5). The maximum on values 0.05 apart (no ties, where it has a kink) and
        // no empty segment: float32's lowest in the objective would swamp the differences in double precision.
        GatherLayerTests.CheckDataGradient(new SegmentSum(5), TestData.Normal(12, 1f, dataShape), ids, seed: 13);
        int n = dataShape.Aggregate(1, (p, d) => p * d);
        Tensor spread = Tensor.FromArray([.. Enumerable.Range(0, n).Select(i => (i - (n / 2)) * 0.05f).OrderBy(_ => random.Next())], dataShape);
        Tensor everySegment = Tensor.FromArray([.. Enumerable.Range(0, ids.Length).Select(i => (float)(i % 3))], idShape);
        GatherLayerTests.CheckDataGradient(new SegmentMax(3), spread, everySegment, seed: 15);
    }

    [Fact]
    public void Backward_SegmentMaxWithTiedMaxima_SplitsTheGradientEvenlyAsTensorFlow()
    {
        // Segment 0 = (3, 3, 1): both 3s hold the maximum and get dy/2 each; segment 1 = (5): all of it.
        var layer = new SegmentMax(2);
        layer.Forward([Tensor.FromArray([3f, 3f, 1f, 5f], 1, 4), Tensor.FromArray([0f, 0f, 0f, 1f], 1, 4)], training: false);
        var gradients = new Tensor?[2];
        layer.Backward(Tensor.FromArray([1f, 2f], 1, 2), gradients);
        Assert.Equal([0.5f, 0.5f, 0f, 2f], gradients[0]!.ToArray());
        Assert.Null(gradients[1]);
    }

    [Fact]
    public void Call_OnSymbolicTensors_InfersNumSegmentsRowsAndDropsMasks()
    {
        var messages = new Input(9, 4);
        var targets = new Input(9);
        Assert.Equal(new TensorShape(5, 4), new SegmentSum(5).Call(messages, targets).Shape);
        Assert.Equal(new TensorShape(5, 4), new SegmentMax(5).Call(messages, targets).Shape);

        var layer = new SegmentSum(3);
        layer.Forward([Tensor.Ones(1, 6, 2), Tensor.Zeros(1, 6)], [Tensor.Ones(1, 6), null], training: false);
        Assert.Null(layer.OutputMask);
    }

    [Fact]
    public void Config_SegmentSumAndMax_RecreateTheSameLayers()
    {
        Layer[] layers = [new SegmentSum(7, sorted: true, name: "s"), new SegmentMax(3, name: "m")];
        foreach (Layer layer in layers)
        {
            Assert.Equal(layer.GetConfig().ToJson(), SerializationRegistry.Recreate(layer).GetConfig().ToJson());
        }

        Assert.Contains("\"num_segments\":7", layers[0].GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.True(((SegmentSum)SerializationRegistry.Recreate(layers[0])).Sorted);
    }

    [Fact]
    public void ForwardBackward_SegmentSumAndMaxAfterWarmUp_AllocateNothing()
    {
        var sum = new SegmentSum(4);
        var max = new SegmentMax(4);
        Tensor data = TestData.Normal(16, 1f, 3, 8, 5), ids = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)(i % 3))], 3, 8);
        Tensor g = TestData.Normal(17, 1f, 3, 4, 5);
        var gradients = new Tensor?[2];
        void Step()
        {
            _ = sum.Forward([data, ids], training: true);
            sum.Backward(g, gradients);
            _ = max.Forward([data, ids], training: true);
            max.Backward(g, gradients);
        }

        for (int i = 0; i < 3; i++)
        {
            Step();
        }

        AllocationCheck.AssertNone(Step);
    }
}
