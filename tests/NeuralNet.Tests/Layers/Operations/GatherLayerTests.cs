using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Operations;

/// <summary>
/// Take and TakeAlongAxis (session 44): Keras' <c>ops.take</c> and <c>ops.take_along_axis</c> (NumPy's take and
/// take_along_axis) per sample, indices held in floats. Expected values are worked by hand from NumPy's definitions.
/// </summary>
public class GatherLayerTests
{
    // Sample 0: ((1, 2), (3, 4), (5, 6)); sample 1: 10 times that.
    private static Tensor Rows() => Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f, 10f, 20f, 30f, 40f, 50f, 60f], 2, 3, 2);

    [Fact]
    public void Forward_TakeAlongAxis1_GathersEachSamplesRowsWithNegativeIndicesFromTheEnd()
    {
        // np.take(x, [2, 0, -1], axis=0) per sample: rows 2, 0 and 2 (-1 is the last); sample 1 takes [1, 1, -3].
        Tensor indices = Tensor.FromArray([2f, 0f, -1f, 1f, 1f, -3f], 2, 3);

        Tensor y = new Take(axis: 1).Forward([Rows(), indices], training: false);

        Assert.Equal(new TensorShape(2, 3, 2), y.Shape);
        Assert.Equal([5f, 6f, 1f, 2f, 5f, 6f, 30f, 40f, 30f, 40f, 10f, 20f], y.ToArray());
    }

    [Fact]
    public void Forward_TakeAlongTheLastAxisWithTwoDimensionalIndices_PutsTheIndicesShapeInPlaceOfTheAxis()
    {
        // x = ((1, 2, 3), (4, 5, 6)), indices ((0, 2), (1, -3)): np.take(x, indices, axis=1) has shape (2, 2, 2),
        // ((x[0, 0], x[0, 2]), (x[0, 1], x[0, 0])) then the same for row 1.
        Tensor x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 1, 2, 3);
        Tensor indices = Tensor.FromArray([0f, 2f, 1f, -3f], 1, 2, 2);

        Tensor y = new Take(axis: -1).Forward([x, indices], training: false);

        Assert.Equal(new TensorShape(1, 2, 2, 2), y.Shape);
        Assert.Equal([1f, 3f, 2f, 1f, 4f, 6f, 5f, 4f], y.ToArray());
    }

    [Theory]
    [InlineData(3f, "[-3, 3)", "got 3 at position (1, 2)")]
    [InlineData(-4f, "[-3, 3)", "got -4 at position (1, 2)")]
    [InlineData(1.5f, "[-3, 3)", "got 1.5 at position (1, 2)")]
    [InlineData(float.NaN, "[-3, 3)", "got NaN at position (1, 2)")]
    public void Forward_TakeWithAnIndexOutOfRange_IsRefusedNamingTheValuePositionAndRangeBeforeWriting(float bad, string range, string where)
    {
        var layer = new Take(axis: 1, name: "neighbours");
        Tensor good = Tensor.FromArray([0f, 1f, 2f, 2f, 1f, 0f], 2, 3);
        float[] before = layer.Forward([Rows(), good], training: false).ToArray();
        Tensor indices = Tensor.FromArray([0f, 1f, 2f, 2f, 1f, bad], 2, 3);

        var error = Assert.Throws<ArgumentException>(() => layer.Forward([Rows(), indices], training: false));

        Assert.Contains("Take 'neighbours'", error.Message, StringComparison.Ordinal);
        Assert.Contains(range, error.Message, StringComparison.Ordinal);
        Assert.Contains(where, error.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 3)", error.Message, StringComparison.Ordinal);

        // Refused before anything was written: the last output is as it was.
        Tensor again = layer.Forward([Rows(), good], training: false);
        Assert.Equal(before, again.ToArray());
    }

    [Theory]
    [InlineData(1, new[] { 2, 5, 3 }, new[] { 2, 7 })]
    [InlineData(2, new[] { 2, 3, 4, 2 }, new[] { 2, 2, 3 })]
    [InlineData(-1, new[] { 2, 3, 4 }, new[] { 2, 6 })]
    public void Backward_Take_MatchesNumericalGradientsWithRepeatedIndices(int axis, int[] dataShape, int[] indexShape)
    {
        Tensor data = TestData.Normal(1, 1f, dataShape);
        int size = dataShape[axis < 0 ? axis + dataShape.Length : axis];
        var random = new Random(2);

        // More indices than entries: repeats are sure, whose gradients must add; some negative.
        Tensor indices = Tensor.FromArray([.. Enumerable.Range(0, indexShape.Aggregate(1, (p, d) => p * d)).Select(_ => (float)random.Next(-size, size))], indexShape);
        CheckDataGradient(new Take(axis), data, indices, seed: 3);
    }

    [Fact]
    public void Backward_TakeOfOneRowTwice_SumsBothGradientsIntoThatRow()
    {
        // y = (x[1], x[1], x[0]) per sample: dx[1] = dy[0] + dy[1], dx[0] = dy[2], dx[2] = 0.
        var layer = new Take(axis: 1);
        layer.Forward([Tensor.FromArray([1f, 2f, 3f], 1, 3), Tensor.FromArray([1f, 1f, 0f], 1, 3)], training: false);
        var gradients = new Tensor?[2];
        layer.Backward(Tensor.FromArray([0.5f, 0.25f, 4f], 1, 3), gradients);
        Assert.Equal([4f, 0.75f, 0f], gradients[0]!.ToArray());
        Assert.Null(gradients[1]);
    }

    [Fact]
    public void Forward_TakeAlongAxis_IsNumpysTakeAlongAxisWithArgsortIndices()
    {
        // NumPy's documentation: a = ((10, 30, 20), (60, 40, 50)), ai = argsort(a, axis=1) = ((0, 2, 1), (1, 2, 0)):
        // take_along_axis(a, ai, axis=1) = ((10, 20, 30), (40, 50, 60)); here each is one sample's (2, 3), axis 2.
        Tensor a = Tensor.FromArray([10f, 30f, 20f, 60f, 40f, 50f], 1, 2, 3);
        Tensor ai = Tensor.FromArray([0f, 2f, 1f, 1f, 2f, 0f], 1, 2, 3);

        Assert.Equal([10f, 20f, 30f, 40f, 50f, 60f], new TakeAlongAxis(axis: 2).Forward([a, ai], training: false).ToArray());

        // The maxima with argmax indices of shape (2, 1): ((30), (60)); the index -1 picks the last column.
        Tensor am = Tensor.FromArray([1f, 0f], 1, 2, 1);
        Assert.Equal([30f, 60f], new TakeAlongAxis(axis: -1).Forward([a, am], training: false).ToArray());
        Assert.Equal([20f, 50f], new TakeAlongAxis(axis: -1).Forward([a, Tensor.FromArray([-1f, -1f], 1, 2, 1)], training: false).ToArray());
    }

    [Fact]
    public void Forward_TakeAlongAxisWithSizeOneAxes_BroadcastsThemAsNumpy()
    {
        // a (1, 3) per sample = ((1, 2, 3)), indices (2, 1) = ((2), (0)) along axis 2 (the last): the data's axis 1 of
        // size 1 repeats and the indices' axis 2 is the gathered one: ((3), (1)); shape (2, 1).
        Tensor a = Tensor.FromArray([1f, 2f, 3f], 1, 1, 3);
        Tensor indices = Tensor.FromArray([2f, 0f], 1, 2, 1);
        Tensor y = new TakeAlongAxis(axis: 2).Forward([a, indices], training: false);
        Assert.Equal(new TensorShape(1, 2, 1), y.Shape);
        Assert.Equal([3f, 1f], y.ToArray());

        // Along axis 1 with x (3, 2) = ((1, 2), (3, 4), (5, 6)) and indices (1, 1) = ((2)): the indices' size-1 column
        // repeats over both columns: ((5, 6)).
        Tensor x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 1, 3, 2);
        Tensor row = new TakeAlongAxis(axis: 1).Forward([x, Tensor.FromArray([2f], 1, 1, 1)], training: false);
        Assert.Equal(new TensorShape(1, 1, 2), row.Shape);
        Assert.Equal([5f, 6f], row.ToArray());
    }

    [Theory]
    [InlineData(1, new[] { 2, 4, 3 }, new[] { 2, 6, 3 })]
    [InlineData(2, new[] { 2, 4, 3 }, new[] { 2, 4, 5 })]
    [InlineData(2, new[] { 2, 1, 3 }, new[] { 2, 4, 5 })]
    [InlineData(1, new[] { 2, 4, 3 }, new[] { 2, 5, 1 })]
    public void Backward_TakeAlongAxis_MatchesNumericalGradientsWithRepeatsAndBroadcasts(int axis, int[] dataShape, int[] indexShape)
    {
        Tensor data = TestData.Normal(4, 1f, dataShape);
        int size = dataShape[axis];
        var random = new Random(5);
        Tensor indices = Tensor.FromArray([.. Enumerable.Range(0, indexShape.Aggregate(1, (p, d) => p * d)).Select(_ => (float)random.Next(-size, size))], indexShape);
        CheckDataGradient(new TakeAlongAxis(axis), data, indices, seed: 6);
    }

    [Theory]
    [InlineData(new[] { 3, 2 }, new[] { 3 }, "of the same rank")]
    [InlineData(new[] { 3, 2 }, new[] { 2, 3 }, "axis 2 has 2 entries in the data and 3 in the indices")]
    public void Build_TakeAlongAxisOfShapesThatDoNotFit_IsRefusedNamingTheShapes(int[] data, int[] indices, string expected)
    {
        var layer = new TakeAlongAxis(axis: 1, name: "pick");
        var error = Assert.Throws<ArgumentException>(() => layer.Forward([Tensor.Ones([1, .. data]), Tensor.Zeros([1, .. indices])], training: false));
        Assert.Contains("TakeAlongAxis 'pick'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(new TensorShape(data).ToBatchString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_BatchAxisOrAnAxisTheDataLacks_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Take(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TakeAlongAxis(0));
        var error = Assert.Throws<ArgumentException>(() => new Take(3, name: "t").Forward([Rows(), Tensor.Zeros(2, 1)], training: false));
        Assert.Contains("Take 't' gathers along axis 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 3, 2)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Call_OnSymbolicTensors_InfersTheOutputShapesAndDropsMasks()
    {
        var nodes = new Input(5, 3);
        var edges = new Input(7);
        var scores = new Input(5, 3);
        var picks = new Input(2, 3);
        SymbolicTensor taken = new Take(axis: 1).Call(nodes, edges);
        SymbolicTensor along = new TakeAlongAxis(axis: 1).Call(scores, picks);
        Assert.Equal(new TensorShape(7, 3), taken.Shape);
        Assert.Equal(new TensorShape(2, 3), along.Shape);

        var layer = new Take(axis: 1);
        layer.Forward([Rows(), Tensor.Zeros(2, 4)], [Tensor.Ones(2, 3), null], training: false);
        Assert.Null(layer.OutputMask);
    }

    [Fact]
    public void Config_TakeAndTakeAlongAxis_RecreateTheSameLayers()
    {
        Layer[] layers = [new Take(axis: -2, name: "t"), new TakeAlongAxis(axis: 3, name: "a")];
        foreach (Layer layer in layers)
        {
            Assert.Equal(layer.GetConfig().ToJson(), SerializationRegistry.Recreate(layer).GetConfig().ToJson());
        }

        Assert.Contains("\"axis\":-2", layers[0].GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.Equal(3, ((TakeAlongAxis)SerializationRegistry.Recreate(layers[1])).Axis);
    }

    [Fact]
    public void ForwardBackward_TakeAndTakeAlongAxisAfterWarmUp_AllocateNothing()
    {
        var take = new Take(axis: 1);
        var along = new TakeAlongAxis(axis: 2);
        Tensor data = TestData.Normal(7, 1f, 4, 5, 3), indices = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)((i % 9) - 4))], 4, 6);
        Tensor picks = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)(i % 3))], 4, 6, 1);
        Tensor g1 = TestData.Normal(8, 1f, 4, 6, 3), g2 = TestData.Normal(9, 1f, 4, 6, 1);
        var gradients = new Tensor?[2];
        void Step()
        {
            _ = take.Forward([data, indices], training: true);
            take.Backward(g1, gradients);
            _ = along.Forward([g1, picks], training: true);
            along.Backward(g2, gradients);
        }

        for (int i = 0; i < 3; i++)
        {
            Step();
        }

        AllocationCheck.AssertNone(Step);
    }

    // The data's gradient against central differences of sum(G ⊙ layer(data, indices)); the indices are held fixed
    // (they get no gradient, null).
    internal static void CheckDataGradient(Layer layer, Tensor data, Tensor indices, long seed)
    {
        Tensor output = layer.Forward([data, indices], training: false);
        Tensor upstream = Tensor.RandomNormal(output.Shape, seed);
        var slots = new Tensor?[2];
        layer.Backward(upstream, slots);
        Assert.Null(slots[1]);
        float[] analytic = slots[0]!.ToArray();
        double Objective()
        {
            ReadOnlySpan<float> y = layer.Forward([data, indices], training: false).AsReadOnlySpan(), g = upstream.AsReadOnlySpan();
            double sum = 0;
            for (int i = 0; i < y.Length; i++)
            {
                sum += (double)g[i] * y[i];
            }

            return sum;
        }

        var report = new GradientCheckReport();
        GradientChecker.CheckTensor(report, "data", data, analytic, Objective, GradientCheckOptions.Default, seed + 1);
        report.AssertPassed(maxKinkFraction: 0);
    }
}
