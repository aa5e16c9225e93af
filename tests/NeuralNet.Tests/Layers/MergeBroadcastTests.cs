using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers;

/// <summary>
/// Broadcasting in the element-wise merge layers, as Keras 3's <c>Merge</c> does it (keras/src/layers/merging/base_merge.py:
/// <c>_compute_elemwise_op_output_shape</c> aligns the per-sample shapes on their last axes, sizes equal or 1; <c>call</c>
/// expands a shorter input at axis 1 until the ranks agree, then numpy broadcasting).
/// </summary>
public class MergeBroadcastTests
{
    public static TheoryData<string, int[][], int[]> Cases { get; } = Build();

    private static TheoryData<string, int[][], int[]> Build()
    {
        (int[][] Shapes, int[] Output)[] pairs =
        [
            ([[3, 4], [1, 4]], [3, 4]),
            ([[3, 4], [4]], [3, 4]),
            ([[3, 1], [1, 4]], [3, 4]),
            ([[2, 3, 4], [3, 1]], [2, 3, 4]),
            ([[4], [2, 3, 4]], [2, 3, 4]),
            ([[1], [3, 4]], [3, 4]),
        ];
        var data = new TheoryData<string, int[][], int[]>();
        foreach (string kind in new[] { "add", "subtract", "multiply", "average", "maximum", "minimum" })
        {
            foreach ((int[][] shapes, int[] output) in pairs)
            {
                data.Add(kind, shapes, output);
            }

            if (kind != "subtract")
            {
                data.Add(kind, [[3, 4], [1, 4], [3, 1]], [3, 4]);
            }
        }

        return data;
    }

    private static Merge Create(string kind, string? name = null) => kind switch
    {
        "add" => new Add(name),
        "subtract" => new Subtract(name),
        "multiply" => new Multiply(name),
        "average" => new Average(name),
        "maximum" => new Maximum(name),
        "minimum" => new Minimum(name),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown layer."),
    };

    // Keras' formulas (keras/src/layers/merging), in double precision.
    private static double Reference(string kind, double[] values) => kind switch
    {
        "add" => values.Sum(),
        "subtract" => values[0] - values[1],
        "multiply" => values.Aggregate(1.0, (product, v) => product * v),
        "average" => values.Sum() / values.Length,
        "maximum" => values.Max(),
        "minimum" => values.Min(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown merge."),
    };

    // The flat index into an input of batch shape `shape` that numpy broadcasting reads for output element `flat`, after
    // Keras' expand_dims(x, axis=1) has given the input the output's rank.
    private static int SourceIndex(int flat, int[] shape, int[] output)
    {
        int[] aligned = [shape[0], .. Enumerable.Repeat(1, output.Length - shape.Length), .. shape[1..]];
        int index = 0, stride = 1;
        for (int d = output.Length - 1; d >= 0; d--)
        {
            int i = flat % output[d];
            flat /= output[d];
            index += (aligned[d] == 1 ? 0 : i) * stride;
            stride *= aligned[d];
        }

        return index;
    }

    private static Tensor[] Inputs(long seed, int batch, int[][] shapes) =>
        [.. shapes.Select((shape, i) => TestData.Normal(seed + i, 1f, [batch, .. shape]))];

    private static Tensor?[] Backward(Layer layer, Tensor outputGradient)
    {
        var slots = new Tensor?[layer.InputShapes.Count];
        layer.Backward(outputGradient, slots);
        return slots;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_BroadcastShapes_MatchesKerasFormulaOnNumpyBroadcast(string kind, int[][] shapes, int[] output)
    {
        Merge layer = Create(kind);
        Tensor[] inputs = Inputs(10, 2, shapes);
        Tensor y = layer.Forward(inputs, training: false);

        int[] batchOutput = [2, .. output];
        Assert.Equal(new TensorShape(output), layer.OutputShape);
        Assert.Equal(new TensorShape(batchOutput), y.Shape);
        var expected = new float[y.Length];
        for (int e = 0; e < expected.Length; e++)
        {
            expected[e] = (float)Reference(kind, [.. inputs.Select(x => (double)x.AsReadOnlySpan()[SourceIndex(e, [.. x.Shape.Dimensions], batchOutput)])]);
        }

        Assert.Equal(expected, y.ToArray(), new Tolerance(1e-5f));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_BroadcastShapes_MatchesNumericalGradient(string kind, int[][] shapes, int[] output)
    {
        Merge layer = Create(kind);
        Tensor[] inputs = Inputs(30, 2, shapes);
        GradientCheckReport report = MultiInputGradientChecker.CheckLayer(layer, inputs, seed: 31);
        report.AssertPassed();
        Assert.Equal(inputs.Sum(x => x.Length), report.Checked);
        Assert.Equal(new TensorShape(output), layer.OutputShape);
    }

    [Fact]
    public void Backward_AddOfRowVector_GradientIsSummedOverTheBroadcastAxis()
    {
        var layer = new Add();
        layer.Forward([Tensor.Ones(1, 2, 3), Tensor.Ones(1, 3)], training: true);
        Tensor?[] gradients = Backward(layer, Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 1, 2, 3));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], gradients[0]!.ToArray());
        Assert.Equal(new TensorShape(1, 3), gradients[1]!.Shape);
        Assert.Equal([5f, 7f, 9f], gradients[1]!.ToArray());
    }

    [Theory]
    [InlineData("add")]
    [InlineData("multiply")]
    [InlineData("maximum")]
    public void Build_IncompatibleShapes_ThrowsNamingLayerAndBothShapes(string kind)
    {
        Merge layer = Create(kind, "merge");
        var e = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(3, 4), new TensorShape(5)));
        Assert.Contains($"{layer.TypeName} 'merge' cannot broadcast input 0 of shape (None, 3, 4) with input 1 of shape (None, 5)", e.Message, StringComparison.Ordinal);
        Assert.Contains("equal or 1", e.Message, StringComparison.Ordinal);
        Assert.False(layer.IsBuilt);

        Merge three = Create(kind, "merge");
        var e3 = Assert.Throws<ArgumentException>(() => three.Build(new TensorShape(3, 1), new TensorShape(1, 4), new TensorShape(2, 4)));
        Assert.Contains("cannot broadcast inputs 0 to 1, broadcast together, of shape (None, 3, 4) with input 2 of shape (None, 2, 4)", e3.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Call_Symbolic_BroadcastShapeOrRefusal()
    {
        var a = new Input(new TensorShape(3, 4), "a");
        var b = new Input(new TensorShape(4), "b");
        var c = new Input(new TensorShape(3, 1), "c");
        Assert.Equal(new TensorShape(3, 4), new Add().Call(a, b).Shape);
        Assert.Equal(new TensorShape(3, 4), new Multiply().Call(b, c).Shape);

        var d = new Input(new TensorShape(5), "d");
        var e = Assert.Throws<ArgumentException>(() => new Subtract(name: "sub").Call(a, d));
        Assert.Contains("Subtract 'sub' cannot broadcast input 0 of shape (None, 3, 4) with input 1 of shape (None, 5)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_MultiplyBroadcastMaskedRow_KerasMaskRules()
    {
        // Keras 3 Multiply: a masked value counts as 1, a position masked in every input is 0, the masks ORed; the (1, 1, 2)
        // input's mask (1, 1) is broadcast with its values.
        var layer = new Multiply();
        Tensor x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 1, 3, 2), y = Tensor.FromArray([10f, 20f], 1, 1, 2);
        Tensor xMask = Tensor.FromArray([1f, 0f, 1f], 1, 3);

        Assert.Equal([1f, 2f, 0f, 0f, 5f, 6f], layer.Forward([x, y], [xMask, Tensor.FromArray([0f], 1, 1)], training: false).ToArray());
        Assert.Equal([1f, 0f, 1f], layer.OutputMask!.ToArray());

        Assert.Equal([10f, 40f, 10f, 20f, 50f, 120f], layer.Forward([x, y], [xMask, Tensor.FromArray([1f], 1, 1)], training: false).ToArray());
        Assert.Equal([1f, 1f, 1f], layer.OutputMask!.ToArray());
    }

    [Fact]
    public void Forward_MaximumBroadcastMasks_FoldsOverRealInputs()
    {
        // Keras 3 _apply_merge_op_and_or_mask: where x is masked the broadcast y is taken, else max(x, y).
        var layer = new Maximum();
        Tensor x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 1, 3, 2), y = Tensor.FromArray([3.5f, 0f], 1, 1, 2);
        Tensor y2 = layer.Forward([x, y], [Tensor.FromArray([1f, 0f, 1f], 1, 3), Tensor.FromArray([1f], 1, 1)], training: true);
        Assert.Equal([3.5f, 2f, 3.5f, 0f, 5f, 6f], y2.ToArray());
        Assert.Equal([1f, 1f, 1f], layer.OutputMask!.ToArray());

        Tensor?[] gradients = Backward(layer, Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 1, 3, 2));
        Assert.Equal([0f, 2f, 0f, 0f, 5f, 6f], gradients[0]!.ToArray());
        Assert.Equal([1f + 3f, 4f], gradients[1]!.ToArray());
    }

    [Fact]
    public void Forward_MaskOnLowerRankInput_ThrowsNamingLayerAndShapes()
    {
        var layer = new Add("add");
        Tensor x = Tensor.Ones(2, 3, 4), v = Tensor.Ones(2, 4);
        var e = Assert.Throws<NotSupportedException>(() => layer.Forward([x, v], [Tensor.Ones(2, 3), Tensor.Ones(2)], training: false));
        Assert.Contains("Add 'add': input 1 of shape (None, 4) has a mask and fewer axes than the output (None, 3, 4)", e.Message, StringComparison.Ordinal);

        // Without its mask the same call works.
        Assert.Equal(2f, layer.Forward([x, v], [Tensor.Ones(2, 3), null], training: false).ToArray()[0]);
    }

    [Theory]
    [InlineData("add", false)]
    [InlineData("subtract", false)]
    [InlineData("multiply", true)]
    [InlineData("average", false)]
    [InlineData("maximum", true)]
    [InlineData("minimum", false)]
    public void ForwardBackward_Broadcast_AllocatesNothingAfterTheFirstBatch(string kind, bool masked)
    {
        Merge layer = Create(kind);
        Tensor[] inputs = [TestData.Normal(1, 1f, 4, 5, 3), TestData.Normal(2, 1f, 4, 1, 3)];
        Tensor?[] masks = masked ? [Tensor.FromArray([.. Enumerable.Range(0, 20).Select(i => (float)(i % 3 == 0 ? 0 : 1))], 4, 5), Tensor.FromArray([1f, 0f, 1f, 1f], 4, 1)] : [null, null];
        Tensor upstream = TestData.Normal(3, 1f, 4, 5, 3);
        var slots = new Tensor?[2];

        void Step()
        {
            layer.Forward(inputs, masks, training: true);
            layer.Backward(upstream, slots);
        }

        Step();
        AllocationCheck.AssertNone(Step);
    }

    [Theory]
    [InlineData("add")]
    [InlineData("multiply")]
    public void Forward_SecondBatchSize_StaysCorrect(string kind)
    {
        Merge layer = Create(kind);
        Tensor[] large = Inputs(40, 5, [[3, 4], [4]]), small = Inputs(50, 2, [[3, 4], [4]]);
        float[] first = layer.Forward(large, training: false).ToArray();
        float[] smallOutput = layer.Forward(small, training: false).ToArray();
        Assert.Equal(first, layer.Forward(large, training: false).ToArray());
        Assert.Equal(Create(kind).Forward(small, training: false).ToArray(), smallOutput);
    }

    // x (3, 4) -> Dense(4) a (3, 4), Dense(4) of its time average b (4), Dense(1) c (3, 1) -> Add(a, b), Multiply(., c),
    // Maximum(., c), Average(., b), Subtract(., a) -> Flatten -> Dense(2).
    private static Functional BroadcastModel()
    {
        var x = new Input(new TensorShape(3, 4), "x");
        SymbolicTensor a = new Dense(4, name: "a").Call(x);
        SymbolicTensor b = new Dense(4, name: "b").Call(new GlobalAveragePooling1D().Call(x));
        SymbolicTensor c = new Dense(1, name: "c").Call(x);
        SymbolicTensor h = new Add().Call(a, b);
        h = new Multiply().Call(h, c);
        h = new Maximum().Call(h, c);
        h = new Average().Call(h, b);
        h = new Subtract().Call(h, a);
        h = new Minimum().Call(h, b, c);
        SymbolicTensor y = new Dense(2, name: "out").Call(new Flatten().Call(h));
        var model = new Functional(x, y, name: "broadcast", seed: 9);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        return model;
    }

    [Fact]
    public void TrainStep_BroadcastMergeModel_AllocatesNothingAfterWarmUp()
    {
        Functional model = BroadcastModel();
        Tensor x = Tensor.RandomNormal(new TensorShape(8, 3, 4), 5), y = Tensor.RandomNormal(new TensorShape(8, 2), 6);
        for (int i = 0; i < 3; i++)
        {
            model.TrainStep(x, y);
        }

        AllocationCheck.AssertNone(() => model.TrainStep(x, y));
    }

    [Fact]
    public void SaveLoad_BroadcastMergeModel_SamePredictions()
    {
        Functional model = BroadcastModel();
        Tensor x = Tensor.RandomNormal(new TensorShape(8, 3, 4), 5), y = Tensor.RandomNormal(new TensorShape(8, 2), 6);
        model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0);
        Model loaded = LayerTestKit.AssertRoundTrip(model, x);
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
    }

    [Fact]
    public void Backward_BroadcastModel_MatchesNumericalGradient()
    {
        // The whole graph, so the summed gradients of the broadcast inputs flow on through the Dense layers.
        Functional model = BroadcastModel();
        Tensor x = TestData.Normal(7, 1f, 2, 3, 4);
        ModelGradientChecker.Check(model, [x], seed: 8).AssertPassed();
    }
}
