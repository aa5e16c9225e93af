using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Operations;

/// <summary>
/// Segment ids outside [0, numSegments) (session 45) are dropped, as Keras' backends drop them: JAX's segment_sum /
/// segment_max (mode drop) and Keras' PyTorch backend (an extra segment cut off) drop every such id, TensorFlow's
/// unsorted_segment_sum / unsorted_segment_max negative ones. Expected values worked by hand from those definitions.
/// </summary>
public class SegmentDroppedIdsTests
{
    private static Tensor KerasData() => Tensor.FromArray([1f, 2f, 10f, 20f, 100f, 200f], 1, 6);

    [Fact]
    public void Forward_IdsPastNumSegmentsOrNegative_AreDroppedFromEverySegment()
    {
        // Ids (0, 0, 1, 3, -1, 2) into 3 segments: 20 (id 3) and 100 (id -1) are dropped.
        // Sum: (1 + 2, 10, 200); max: (2, 10, 200).
        Tensor ids = Tensor.FromArray([0f, 0f, 1f, 3f, -1f, 2f], 1, 6);
        Assert.Equal([3f, 10f, 200f], new SegmentSum(3).Forward([KerasData(), ids], training: false).ToArray());
        Assert.Equal([2f, 10f, 200f], new SegmentMax(3).Forward([KerasData(), ids], training: false).ToArray());

        // Every id dropped: every segment empty; a huge whole number is dropped too.
        Tensor none = Tensor.FromArray([-5f, 3f, 1e30f, -1e30f, 7f, 3f], 1, 6);
        Assert.Equal([0f, 0f, 0f], new SegmentSum(3).Forward([KerasData(), none], training: false).ToArray());
        Assert.All(new SegmentMax(3).Forward([KerasData(), none], training: false).ToArray(), v => Assert.Equal(SegmentMax.EmptySegmentValue, v));
    }

    [Theory]
    [InlineData(0.5f, "got 0.5 at position (0, 4)")]
    [InlineData(float.NaN, "got NaN at position (0, 4)")]
    [InlineData(float.PositiveInfinity, "got Infinity at position (0, 4)")]
    public void Forward_IdThatIsNotAWholeNumber_IsRefusedNamingTheValueAndPositionBeforeWriting(float bad, string where)
    {
        Tensor good = Tensor.FromArray([0f, 0f, 1f, 1f, 2f, 2f], 1, 6);
        Tensor ids = Tensor.FromArray([0f, 0f, 1f, 1f, bad, 2f], 1, 6);
        foreach (Layer layer in new Layer[] { new SegmentSum(3, name: "agg"), new SegmentMax(3, name: "agg") })
        {
            float[] before = layer.Forward([KerasData(), good], training: false).ToArray();
            var error = Assert.Throws<ArgumentException>(() => layer.Forward([KerasData(), ids], training: false));
            Assert.Contains($"{layer.TypeName} 'agg' expects segment ids that are whole numbers", error.Message, StringComparison.Ordinal);
            Assert.Contains("[0, 3)", error.Message, StringComparison.Ordinal);
            Assert.Contains(where, error.Message, StringComparison.Ordinal);
            Assert.Equal(before, layer.Forward([KerasData(), good], training: false).ToArray());
        }
    }

    [Fact]
    public void Backward_DroppedEntries_GetZeroAndTheRestMatchNumericalGradients()
    {
        // Per sample 5 rows of 3 into 3 segments; rows 1, 3 (sample 0) and 7, 8 (sample 1) have dropped ids. Every segment
        // keeps a row (an empty maximum, float32's lowest, would swamp the numerical objective), and the data are distinct
        // (no ties for the maximum).
        Tensor data = TestData.Normal(21, 1f, 2, 5, 3);
        Tensor ids = Tensor.FromArray([0f, -1f, 2f, 3f, 1f, 0f, 1f, 5f, -2f, 2f], 2, 5);
        foreach (Layer layer in new Layer[] { new SegmentSum(3), new SegmentMax(3) })
        {
            GatherLayerTests.CheckDataGradient(layer, data, ids, seed: 22);
            Tensor upstream = Tensor.Ones(layer.Forward([data, ids], training: false).Shape.Dimensions.ToArray());
            var slots = new Tensor?[2];
            layer.Backward(upstream, slots);
            float[] dx = slots[0]!.ToArray();
            foreach (int row in new[] { 1, 3, 7, 8 })
            {
                Assert.Equal([0f, 0f, 0f], dx[(row * 3)..((row * 3) + 3)]);
            }
        }
    }

    [Fact]
    public void Forward_SortedIdsWithDroppedOnes_KeepTheirOrderInTheCheck()
    {
        // -1 first and 4 last keep the ids non-decreasing: accepted (200 dropped); 4 before 1 breaks the promise.
        Tensor sorted = Tensor.FromArray([-1f, 0f, 0f, 1f, 2f, 4f], 1, 6);
        Assert.Equal([12f, 20f, 100f], new SegmentSum(3, sorted: true).Forward([KerasData(), sorted], training: false).ToArray());
        Tensor unsorted = Tensor.FromArray([0f, 0f, 4f, 1f, 2f, 2f], 1, 6);
        var error = Assert.Throws<ArgumentException>(() => new SegmentSum(3, sorted: true).Forward([KerasData(), unsorted], training: false));
        Assert.Contains("was told its segment ids are sorted", error.Message, StringComparison.Ordinal);
        Assert.Contains("holds 4 then 1 at positions 2 and 3", error.Message, StringComparison.Ordinal);
    }
}
