using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;
using TestData = NeuralNet.Tests.GradientChecking.TestData;

namespace NeuralNet.Tests.Layers;

/// <summary>A random concatenation: per-sample shape, the Keras axis (batch axis counted, maybe negative), each input's size on it.</summary>
public sealed record ConcatenateCase(int Batch, int[] SampleShape, int Axis, int[] Sizes, long Seed)
{
    /// <summary>The joined axis as an index into <see cref="SampleShape"/>.</summary>
    public int SampleAxis => (Axis < 0 ? Axis + SampleShape.Length + 1 : Axis) - 1;

    /// <summary>The batch shape of input <paramref name="i"/>.</summary>
    public int[] InputShape(int i)
    {
        int[] dims = [Batch, .. SampleShape];
        dims[SampleAxis + 1] = Sizes[i];
        return dims;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"Concatenate(axis={Axis}) of {string.Join(" + ", Sizes.Select((_, i) => new TensorShape(InputShape(i)).ToString()))}, seed {Seed}";
}

/// <summary>FsCheck generators for merge layer properties.</summary>
public static class MergeCases
{
    /// <summary>Batch 1-3, sample rank 1-3 with dimensions 1-4, any valid axis (positive or negative), 2-4 inputs of size 1-4 on it.</summary>
    public static Arbitrary<ConcatenateCase> ConcatenateCase() =>
        (from batch in Gen.Choose(1, 3)
         from rank in Gen.Choose(1, 3)
         from dims in Gen.ArrayOf(Gen.Choose(1, 4), rank)
         from axis in Gen.Choose(1, rank)
         from negative in Gen.Elements(false, true)
         from count in Gen.Choose(2, 4)
         from sizes in Gen.ArrayOf(Gen.Choose(1, 4), count)
         from seed in Gen.Choose(0, 1_000_000)
         select new ConcatenateCase(batch, dims, negative ? axis - rank - 1 : axis, sizes, seed)).ToArbitrary();
}

public class MergeLayerTests
{
    public static TheoryData<string, int> ElementwiseCases { get; } = new()
    {
        { "add", 2 }, { "add", 3 }, { "subtract", 2 }, { "multiply", 2 }, { "multiply", 3 }, { "average", 2 },
        { "average", 3 }, { "maximum", 2 }, { "maximum", 3 }, { "minimum", 2 }, { "minimum", 3 },
    };

    public static TheoryData<string> AllKinds { get; } = ["add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"];

    private static MultiInputLayer Create(string kind, string? name = null) => kind switch
    {
        "add" => new Add(name),
        "subtract" => new Subtract(name),
        "multiply" => new Multiply(name),
        "average" => new Average(name),
        "maximum" => new Maximum(name),
        "minimum" => new Minimum(name),
        "concatenate" => new Concatenate(name: name),
        "dot" => new Dot(-1, name: name),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown layer."),
    };

    // Keras' formulas (keras/src/layers/merging), element by element in double precision.
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

    private static Tensor[] Inputs(long seed, int count, params int[] dims) =>
        [.. Enumerable.Range(0, count).Select(i => TestData.Normal(seed + i, 1f, dims))];

    private static Tensor?[] Backward(Layer layer, Tensor outputGradient)
    {
        var slots = new Tensor?[layer.InputShapes.Count];
        layer.Backward(outputGradient, slots);
        return slots;
    }

    // out[b, restA..., restB...] = sum_k A[b, ..k..] B[b, ..k..], with A and B normalized along k first when asked.
    private static float[] ReferenceDot(Tensor x, Tensor y, int axisX, int axisY, bool normalize)
    {
        double[,,] a = AxisLast(x, axisX), b = AxisLast(y, axisY);
        int batch = a.GetLength(0), m = a.GetLength(1), n = b.GetLength(1), k = a.GetLength(2);
        var output = new float[batch * m * n];
        for (int s = 0; s < batch; s++)
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double dot = 0, na = 0, nb = 0;
                    for (int t = 0; t < k; t++)
                    {
                        dot += a[s, i, t] * b[s, j, t];
                        na += a[s, i, t] * a[s, i, t];
                        nb += b[s, j, t] * b[s, j, t];
                    }

                    output[(((s * m) + i) * n) + j] = (float)(normalize ? dot / (Math.Sqrt(na) * Math.Sqrt(nb)) : dot);
                }
            }
        }

        return output;
    }

    // Per sample, a (rest, k) matrix: the axis (Keras' numbering, batch axis counted) moved last, the others in order.
    private static double[,,] AxisLast(Tensor x, int axis)
    {
        int[] dims = x.Shape.Dimensions[1..].ToArray();
        int sampleAxis = (axis < 0 ? axis + dims.Length + 1 : axis) - 1;
        int k = dims[sampleAxis], size = x.Shape.ElementCount / x.Shape[0], rest = size / k;
        var result = new double[x.Shape[0], rest, k];
        ReadOnlySpan<float> values = x.AsReadOnlySpan();
        for (int s = 0; s < x.Shape[0]; s++)
        {
            for (int f = 0; f < size; f++)
            {
                int remainder = f, r = 0, rowStride = 1, t = 0;
                for (int d = dims.Length - 1; d >= 0; d--)
                {
                    int index = remainder % dims[d];
                    remainder /= dims[d];
                    if (d == sampleAxis)
                    {
                        t = index;
                    }
                    else
                    {
                        r += index * rowStride;
                        rowStride *= dims[d];
                    }
                }

                result[s, r, t] = values[(s * size) + f];
            }
        }

        return result;
    }

    // For each input, the flat output index of each of its elements under concatenation along sampleAxis.
    private static int[][] ConcatenationMap(int[][] inputShapes, int sampleAxis)
    {
        int axis = sampleAxis + 1;
        int[] output = [.. inputShapes[0]];
        output[axis] = inputShapes.Sum(s => s[axis]);
        var maps = new int[inputShapes.Length][];
        int offset = 0;
        for (int i = 0; i < inputShapes.Length; i++)
        {
            int[] shape = inputShapes[i];
            int count = shape.Aggregate(1, (p, d) => p * d);
            maps[i] = new int[count];
            for (int f = 0; f < count; f++)
            {
                int remainder = f, target = 0, stride = 1;
                for (int d = shape.Length - 1; d >= 0; d--)
                {
                    int index = remainder % shape[d];
                    remainder /= shape[d];
                    target += (d == axis ? index + offset : index) * stride;
                    stride *= output[d];
                }

                maps[i][f] = target;
            }

            offset += shape[axis];
        }

        return maps;
    }

    [Theory]
    [MemberData(nameof(ElementwiseCases))]
    public void Forward_RandomInputs_MatchesKerasFormula(string kind, int count)
    {
        MultiInputLayer layer = Create(kind);
        Tensor[] inputs = Inputs(10 * count, count, 3, 2, 4);
        Tensor output = layer.Forward(inputs, training: false);

        Assert.Equal(new TensorShape(3, 2, 4), output.Shape);
        Assert.Equal(new TensorShape(2, 4), layer.OutputShape);
        Assert.Equal(kind, layer.DefaultNamePrefix);
        Assert.Equal(0, layer.ParameterCount);
        var expected = new float[output.Length];
        for (int e = 0; e < expected.Length; e++)
        {
            expected[e] = (float)Reference(kind, [.. inputs.Select(x => (double)x.AsReadOnlySpan()[e])]);
        }

        Assert.Equal(expected, output.ToArray(), new Tolerance(1e-5f));
    }

    [Theory]
    [MemberData(nameof(ElementwiseCases))]
    public void Backward_RandomInputs_MatchesNumericalGradient(string kind, int count)
    {
        MultiInputLayer layer = Create(kind);
        Tensor[] inputs = Inputs(100 + count, count, 3, 5);
        GradientCheckReport report = MultiInputGradientChecker.CheckLayer(layer, inputs, seed: 7);
        report.AssertPassed();
        Assert.Equal(15 * count, report.Checked);
    }

    [Fact]
    public void Backward_MaximumWithTies_GradientGoesToTheFirstInputHoldingTheMaximum()
    {
        var layer = new Maximum();
        Tensor a = Tensor.FromArray([1f, 2f, 5f, -1f], 1, 4);
        Tensor b = Tensor.FromArray([1f, 3f, 5f, -1f], 1, 4);
        Tensor c = Tensor.FromArray([0f, 3f, 5f, -1f], 1, 4);
        Assert.Equal([1f, 3f, 5f, -1f], layer.Forward([a, b, c], training: false).ToArray());

        Tensor?[] gradients = Backward(layer, Tensor.FromArray([10f, 20f, 30f, 40f], 1, 4));
        Assert.Equal([10f, 0f, 30f, 40f], gradients[0]!.ToArray());
        Assert.Equal([0f, 20f, 0f, 0f], gradients[1]!.ToArray());
        Assert.Equal([0f, 0f, 0f, 0f], gradients[2]!.ToArray());
    }

    [Fact]
    public void Backward_MinimumWithTies_GradientGoesToTheFirstInputHoldingTheMinimum()
    {
        var layer = new Minimum();
        Tensor a = Tensor.FromArray([1f, 2f, 5f, -1f], 1, 4);
        Tensor b = Tensor.FromArray([1f, 0f, 5f, -2f], 1, 4);
        Tensor c = Tensor.FromArray([3f, 0f, 5f, -2f], 1, 4);
        Assert.Equal([1f, 0f, 5f, -2f], layer.Forward([a, b, c], training: false).ToArray());

        Tensor?[] gradients = Backward(layer, Tensor.FromArray([10f, 20f, 30f, 40f], 1, 4));
        Assert.Equal([10f, 0f, 30f, 0f], gradients[0]!.ToArray());
        Assert.Equal([0f, 20f, 0f, 40f], gradients[1]!.ToArray());
        Assert.Equal([0f, 0f, 0f, 0f], gradients[2]!.ToArray());
    }

    [Fact]
    public void Backward_Subtract_FirstGetsGradientSecondItsNegation()
    {
        var layer = new Subtract();
        layer.Forward(Inputs(3, 2, 2, 3), training: false);
        Tensor g = TestData.Normal(9, 1f, 2, 3);
        Tensor?[] gradients = Backward(layer, g);
        Assert.Equal(g.ToArray(), gradients[0]!.ToArray());
        Assert.Equal(g.ToArray().Select(v => -v), gradients[1]!.ToArray());
    }

    [Fact]
    public void Forward_ConcatenateKerasDocstringExample_JoinsAlongAxisOne()
    {
        // keras.layers.Concatenate(axis=1)([np.arange(20).reshape(2, 2, 5), np.arange(20, 30).reshape(2, 1, 5)])
        Tensor x = Tensor.FromArray([.. Enumerable.Range(0, 20).Select(v => (float)v)], 2, 2, 5);
        Tensor y = Tensor.FromArray([.. Enumerable.Range(20, 10).Select(v => (float)v)], 2, 1, 5);
        var layer = new Concatenate(axis: 1);
        Tensor output = layer.Forward([x, y], training: false);

        Assert.Equal(new TensorShape(2, 3, 5), output.Shape);
        float[] expected =
        [
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 21, 22, 23, 24,
            10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 25, 26, 27, 28, 29,
        ];
        Assert.Equal(expected, output.ToArray());
    }

    [Fact]
    public void ForwardBackward_ConcatenateLastAxis_JoinsFeaturesAndSplitsGradient()
    {
        var layer = new Concatenate();
        Tensor a = TestData.Normal(1, 1f, 3, 4), b = TestData.Normal(2, 1f, 3, 8);
        Tensor output = layer.Forward([a, b], training: false);

        Assert.Equal(new TensorShape(12), layer.OutputShape);
        Assert.Equal(new TensorShape(3, 12), output.Shape);
        for (int s = 0; s < 3; s++)
        {
            for (int j = 0; j < 12; j++)
            {
                Assert.Equal(j < 4 ? a[s, j] : b[s, j - 4], output[s, j]);
            }
        }

        Tensor g = TestData.Normal(3, 1f, 3, 12);
        Tensor?[] gradients = Backward(layer, g);
        Assert.Equal(a.Shape, gradients[0]!.Shape);
        Assert.Equal(b.Shape, gradients[1]!.Shape);
        for (int s = 0; s < 3; s++)
        {
            for (int j = 0; j < 12; j++)
            {
                Assert.Equal(g[s, j], j < 4 ? gradients[0]![s, j] : gradients[1]![s, j - 4]);
            }
        }
    }

    [Fact]
    public void Forward_ConcatenateAxisTwoOfRankThree_JoinsInnerAxis()
    {
        var layer = new Concatenate(axis: 2);
        Tensor a = TestData.Normal(4, 1f, 2, 3, 2), b = TestData.Normal(5, 1f, 2, 3, 4);
        Tensor output = layer.Forward([a, b], training: false);

        Assert.Equal(new TensorShape(2, 3, 6), output.Shape);
        for (int s = 0; s < 2; s++)
        {
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 6; j++)
                {
                    Assert.Equal(j < 2 ? a[s, i, j] : b[s, i, j - 2], output[s, i, j]);
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 2)]
    [InlineData(-1, 3)]
    public void Backward_Concatenate_MatchesNumericalGradient(int axis, int count)
    {
        Tensor[] inputs = [.. Enumerable.Range(0, count).Select(i => axis == 1
            ? TestData.Normal(20 + i, 1f, 2, i + 1, 3)
            : TestData.Normal(20 + i, 1f, 2, 3, i + 2))];
        MultiInputGradientChecker.CheckLayer(new Concatenate(axis), inputs, seed: 21).AssertPassed(maxKinkFraction: 0);
    }

    [Property(Arbitrary = [typeof(MergeCases)], MaxTest = 60, Replay = "(31,37)")]
    public void ForwardBackward_ConcatenateRandomShapes_EqualsReferenceConcatenation(ConcatenateCase c)
    {
        int[][] shapes = [.. c.Sizes.Select((_, i) => c.InputShape(i))];
        Tensor[] inputs = [.. shapes.Select((shape, i) => TestData.Normal(c.Seed + i, 1f, shape))];
        var layer = new Concatenate(c.Axis);
        Tensor output = layer.Forward(inputs, training: false);

        int[][] maps = ConcatenationMap(shapes, c.SampleAxis);
        int[] outputShape = [.. shapes[0]];
        outputShape[c.SampleAxis + 1] = c.Sizes.Sum();
        Assert.Equal(new TensorShape(outputShape), output.Shape);
        var expected = new float[output.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            for (int f = 0; f < maps[i].Length; f++)
            {
                expected[maps[i][f]] = inputs[i].AsReadOnlySpan()[f];
            }
        }

        Assert.Equal(expected, output.ToArray());

        Tensor g = TestData.Normal(c.Seed + 99, 1f, outputShape);
        Tensor?[] gradients = Backward(layer, g);
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(inputs[i].Shape, gradients[i]!.Shape);
            Assert.Equal(maps[i].Select(index => g.AsReadOnlySpan()[index]), gradients[i]!.ToArray());
        }
    }

    [Fact]
    public void Forward_DotKerasDocstringExample_BatchDotOverAxesOneAndTwo()
    {
        // keras.layers.Dot(axes=(1, 2))([np.arange(10).reshape(1, 5, 2), np.arange(10, 20).reshape(1, 2, 5)])
        Tensor x = Tensor.FromArray([.. Enumerable.Range(0, 10).Select(v => (float)v)], 1, 5, 2);
        Tensor y = Tensor.FromArray([.. Enumerable.Range(10, 10).Select(v => (float)v)], 1, 2, 5);
        var layer = new Dot((1, 2));
        Tensor output = layer.Forward([x, y], training: false);

        Assert.Equal(new TensorShape(1, 2, 2), output.Shape);
        Assert.Equal([260f, 360f, 320f, 445f], output.ToArray());
    }

    [Fact]
    public void Forward_DotOfVectors_RowDotProductsOfShapeBatchByOne()
    {
        var layer = new Dot(1);
        Tensor a = TestData.Normal(30, 1f, 4, 6), b = TestData.Normal(31, 1f, 4, 6);
        Tensor output = layer.Forward([a, b], training: false);

        Assert.Equal(new TensorShape(1), layer.OutputShape);
        Assert.Equal(new TensorShape(4, 1), output.Shape);
        for (int s = 0; s < 4; s++)
        {
            double dot = 0;
            for (int j = 0; j < 6; j++)
            {
                dot += (double)a[s, j] * b[s, j];
            }

            Assert.Equal(dot, output[s, 0], 1e-5);
        }
    }

    [Fact]
    public void Forward_DotNormalized_CosineSimilarity()
    {
        var layer = new Dot(-1, normalize: true);
        Tensor a = TestData.Normal(32, 3f, 4, 6), b = TestData.Normal(33, 0.5f, 4, 6);
        Tensor output = layer.Forward([a, b], training: false);

        Assert.Equal(new TensorShape(4, 1), output.Shape);
        for (int s = 0; s < 4; s++)
        {
            double dot = 0, na = 0, nb = 0;
            for (int j = 0; j < 6; j++)
            {
                dot += (double)a[s, j] * b[s, j];
                na += (double)a[s, j] * a[s, j];
                nb += (double)b[s, j] * b[s, j];
            }

            Assert.Equal(dot / Math.Sqrt(na * nb), output[s, 0], 1e-5);
        }

        // A vector against itself (scaled) has cosine 1.
        Assert.All(layer.Forward([a, a * 2f], training: false).ToArray(), v => Assert.Equal(1f, v, 1e-5f));
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 5, 4 }, 2, 2, false, new[] { 2, 3, 5 })]
    [InlineData(new[] { 2, 4, 3 }, new[] { 2, 5, 4 }, 1, 2, false, new[] { 2, 3, 5 })]
    [InlineData(new[] { 2, 4, 3 }, new[] { 2, 4, 2 }, 1, 1, true, new[] { 2, 3, 2 })]
    [InlineData(new[] { 2, 4 }, new[] { 2, 3, 4 }, -1, -1, true, new[] { 2, 3 })]
    [InlineData(new[] { 2, 3, 2, 4 }, new[] { 2, 4, 3 }, 3, 1, false, new[] { 2, 3, 2, 3 })]
    public void Forward_DotRankThree_MatchesReferenceBatchDot(int[] shapeA, int[] shapeB, int axisA, int axisB, bool normalize, int[] expectedShape)
    {
        Tensor a = TestData.AwayFromZero(40, 0.3f, shapeA), b = TestData.AwayFromZero(41, 0.3f, shapeB);
        var layer = new Dot((axisA, axisB), normalize);
        Tensor output = layer.Forward([a, b], training: false);

        Assert.Equal(new TensorShape(expectedShape), output.Shape);
        Assert.Equal(ReferenceDot(a, b, axisA, axisB, normalize), output.ToArray(), new Tolerance(1e-5f));
    }

    [Theory]
    [InlineData(new[] { 3, 5 }, new[] { 3, 5 }, 1, 1, false)]
    [InlineData(new[] { 3, 5 }, new[] { 3, 5 }, 1, 1, true)]
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 5, 4 }, 2, 2, false)]
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 5, 4 }, 2, 2, true)]
    [InlineData(new[] { 2, 4, 3 }, new[] { 2, 2, 4 }, 1, 2, false)]
    [InlineData(new[] { 2, 4, 3 }, new[] { 2, 2, 4 }, 1, 2, true)]
    [InlineData(new[] { 2, 4 }, new[] { 2, 4, 3 }, 1, 1, true)]
    public void Backward_Dot_MatchesNumericalGradient(int[] shapeA, int[] shapeB, int axisA, int axisB, bool normalize)
    {
        // Entries at least 0.5 from zero keep every normalized vector's norm well above Keras' epsilon.
        Tensor a = TestData.AwayFromZero(50, 0.5f, shapeA), b = TestData.AwayFromZero(51, 0.5f, shapeB);
        GradientCheckReport report = MultiInputGradientChecker.CheckLayer(new Dot((axisA, axisB), normalize), [a, b], seed: 52);
        report.AssertPassed(maxKinkFraction: 0);
        Assert.Equal(a.Length + b.Length, report.Checked);
    }

    [Fact]
    public void Build_AddOfDifferentShapes_ThrowsNamingLayerAndShapes()
    {
        var layer = new Add("add");
        var e = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(32), new TensorShape(64)));
        Assert.Contains("Add 'add' cannot broadcast input 0 of shape (None, 32) with input 1 of shape (None, 64)", e.Message, StringComparison.Ordinal);
        Assert.False(layer.IsBuilt);
    }

    [Fact]
    public void Forward_AddOfDifferentShapes_ThrowsNamingLayerAndShapes()
    {
        var layer = new Add("add");
        var e = Assert.Throws<ArgumentException>(() => layer.Forward([new Tensor(2, 32), new Tensor(2, 64)], training: false));
        Assert.Contains("Add 'add' cannot broadcast input 0 of shape (None, 32) with input 1 of shape (None, 64)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_SubtractOfThreeInputs_ThrowsNamingLayerAndCount()
    {
        var layer = new Subtract("subtract");
        var e = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(4), new TensorShape(4), new TensorShape(4)));
        Assert.Contains("Subtract 'subtract' takes exactly 2 input(s) but was given 3", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Subtract().Forward(Inputs(1, 3, 2, 4), training: false));
    }

    [Fact]
    public void Build_ConcatenateMismatchingOtherAxes_ThrowsNamingLayerAndShapes()
    {
        var layer = new Concatenate(name: "concat");
        var e = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(4, 5), new TensorShape(3, 6)));
        Assert.Contains("Concatenate 'concat' requires inputs with matching shapes except for the concatenation axis -1, but got (None, 4, 5) and (None, 3, 6)", e.Message, StringComparison.Ordinal);

        var ranks = Assert.Throws<ArgumentException>(() => new Concatenate(axis: 1, name: "concat").Build(new TensorShape(4, 5), new TensorShape(4)));
        Assert.Contains("(None, 4, 5) and (None, 4)", ranks.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ConcatenateAxisBeyondRank_ThrowsNamingLayerAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => new Concatenate(axis: 3, name: "concat").Build(new TensorShape(4), new TensorShape(4)));
        Assert.Contains("Concatenate 'concat' joins along axis 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 4)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_DotIncompatibleAxisSizes_ThrowsNamingLayerAndShapes()
    {
        var layer = new Dot(-1, name: "dot");
        var e = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(3, 4), new TensorShape(3, 5)));
        Assert.Contains("Dot 'dot': incompatible input shapes: axis values 4 (at axis 2) != 5 (at axis 2). Full input shapes: (None, 3, 4), (None, 3, 5)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Dot(1).Build(new TensorShape(3), new TensorShape(3), new TensorShape(3)));
    }

    [Fact]
    public void Build_DotAxisBeyondRank_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Dot(3, name: "dot").Build(new TensorShape(4), new TensorShape(4)));
        Assert.Throws<ArgumentException>(() => new Dot((1, 4), name: "dot").Build(new TensorShape(4, 2), new TensorShape(4, 2)));
    }

    [Fact]
    public void Constructor_BatchAxis_Throws()
    {
        var concatenate = Assert.Throws<ArgumentOutOfRangeException>(() => new Concatenate(axis: 0));
        Assert.Equal("axis", concatenate.ParamName);
        Assert.Contains("batch axis", concatenate.Message, StringComparison.Ordinal);

        var dot = Assert.Throws<ArgumentOutOfRangeException>(() => new Dot(0));
        Assert.Equal("axes", dot.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dot((1, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dot((0, -1), normalize: true));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Backward_NoInputGradient_LeavesInputGradientsNull(string kind)
    {
        MultiInputLayer layer = Create(kind);
        layer.ComputesInputGradient = false;
        Tensor output = layer.Forward(Inputs(60, 2, 2, 3), training: true);
        Tensor g = TestData.Normal(61, 1f, [.. output.Shape.Dimensions]);
        Tensor?[] slots = [g, g];
        layer.BackwardAsPlanned(g, slots); // the model's path; a public Backward computes them
        Assert.All(slots, slot => Assert.Null(slot));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Forward_SecondBatchSize_ReusesLayerAndStaysCorrect(string kind)
    {
        MultiInputLayer layer = Create(kind);
        Tensor[] small = Inputs(70, 2, 2, 3), large = Inputs(72, 2, 5, 3);
        float[] first = layer.Forward(large, training: false).ToArray();
        layer.Forward(small, training: false);
        Assert.Equal(first, layer.Forward(large, training: false).ToArray());

        MultiInputLayer fresh = Create(kind);
        Assert.Equal(fresh.Forward(small, training: false).ToArray(), layer.Forward(small, training: false).ToArray());
    }

    [Fact]
    public void Recreate_BuiltMergeLayers_KeepAxisAxesAndNormalize()
    {
        var concatenate = new Concatenate(axis: 2, name: "concat");
        concatenate.Build(new TensorShape(3, 2), new TensorShape(3, 4));
        var copy = Assert.IsType<Concatenate>(SerializationRegistry.Recreate(concatenate));
        Assert.Equal(2, copy.Axis);
        Assert.Equal("concat", copy.Name);
        Assert.False(copy.IsBuilt);
        Assert.Equal(concatenate.GetConfig().ToJson(), copy.GetConfig().ToJson());

        var pair = new Dot((1, 2), normalize: true, name: "cosine");
        pair.Build(new TensorShape(4, 3), new TensorShape(2, 4));
        var pairCopy = Assert.IsType<Dot>(SerializationRegistry.Recreate(pair));
        Assert.Equal((1, 2), pairCopy.Axes);
        Assert.True(pairCopy.Normalize);
        Assert.Equal("cosine", pairCopy.Name);
        Assert.False(pairCopy.IsBuilt);
        Assert.Equal(pair.GetConfig().ToJson(), pairCopy.GetConfig().ToJson());

        var single = new Dot(-1);
        single.Build(new TensorShape(5), new TensorShape(5));
        var singleCopy = Assert.IsType<Dot>(SerializationRegistry.Recreate(single));
        Assert.Equal((-1, -1), singleCopy.Axes);
        Assert.False(singleCopy.Normalize);
        Assert.Equal(single.GetConfig().ToJson(), singleCopy.GetConfig().ToJson());
    }

    [Theory]
    [InlineData("add")]
    [InlineData("subtract")]
    [InlineData("multiply")]
    [InlineData("average")]
    [InlineData("maximum")]
    [InlineData("minimum")]
    public void Recreate_BuiltElementwiseMerge_SameTypeAndName(string kind)
    {
        MultiInputLayer layer = Create(kind, "merge");
        layer.Build(new TensorShape(3), new TensorShape(3));
        Layer copy = SerializationRegistry.Recreate(layer);
        Assert.IsType(layer.GetType(), copy);
        Assert.Equal("merge", copy.Name);
        Assert.False(copy.IsBuilt);
        Assert.Equal(layer.GetConfig().ToJson(), copy.GetConfig().ToJson());
    }

    [Fact]
    public void MultiInputGradientChecker_WrongGradientOfOneInput_ReportsThatInputOnly()
    {
        Tensor[] inputs = Inputs(80, 2, 2, 3);
        MultiInputGradientChecker.CheckLayer(new ScaledSum(0f), inputs, seed: 81).AssertPassed(maxKinkFraction: 0);

        GradientCheckReport report = MultiInputGradientChecker.CheckLayer(new ScaledSum(0.5f), inputs, seed: 81);
        Assert.False(report.Passed());
        Assert.NotEmpty(report.Mismatches);
        Assert.All(report.Mismatches, m => Assert.Equal("input 1", m.Variable));
    }

    // y = x0 + 2 x1; the gradient of x1 can be sabotaged to check that the checker notices.
    private sealed class ScaledSum(float error) : MultiInputLayer(null)
    {
        private Tensor? _output;
        private Tensor? _gradient;

        public override string DefaultNamePrefix => "scaled_sum";

        protected override int MinimumInputCount => 2;

        protected override int MaximumInputCount => 2;

        protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes) => inputShapes[0];

        protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
        {
            Tensor y = BatchView(ref _output, inputs[0].Shape[0], OutputShape);
            for (int i = 0; i < y.Length; i++)
            {
                y.AsSpan()[i] = inputs[0].AsReadOnlySpan()[i] + (2f * inputs[1].AsReadOnlySpan()[i]);
            }

            return y;
        }

        protected override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
        {
            Tensor dx1 = BatchView(ref _gradient, outputGradient.Shape[0], OutputShape);
            for (int i = 0; i < dx1.Length; i++)
            {
                dx1.AsSpan()[i] = (2f + error) * outputGradient.AsReadOnlySpan()[i];
            }

            inputGradients[0] = outputGradient;
            inputGradients[1] = dx1;
        }
    }
}
