using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Operations;

/// <summary>
/// The layers added in session 37 for hand-written attention blocks: MatMul (NumPy's matmul over the last two axes, the
/// leading axes equal or broadcast from 1) and LogSoftmax over any axis (with Softmax over a non-last axis, which shares
/// its pass). Expected values come from NumPy's definitions written out as plain loops in the test.
/// </summary>
public class AttentionOperationLayerTests
{
    // NumPy's matmul of (batch, leading..., n, k) and (batch, leading..., k, m) with size-1 leading axes repeated, as
    // nested loops in double: C[s, l, i, j] = sum_t A[s, l_a, i, t] B[s, l_b, t, j].
    private static float[] ReferenceMatmul(Tensor a, Tensor b)
    {
        int[] sa = a.Shape.Dimensions.ToArray(), sb = b.Shape.Dimensions.ToArray();
        int rank = sa.Length, n = sa[rank - 2], k = sa[rank - 1], m = sb[rank - 1];
        int[] leading = [.. Enumerable.Range(0, rank - 2).Select(d => Math.Max(sa[d], sb[d]))];
        int count = leading.Aggregate(1, (p, d) => p * d);
        float[] x = a.ToArray(), y = b.ToArray(), c = new float[count * n * m];
        for (int p = 0; p < count; p++)
        {
            // p as a multi-index over the leading axes, then each input's matrix with size-1 axes pinned at 0.
            int[] index = new int[leading.Length];
            for (int d = leading.Length - 1, r = p; d >= 0; d--)
            {
                index[d] = r % leading[d];
                r /= leading[d];
            }

            int ma = 0, mb = 0;
            for (int d = 0; d < leading.Length; d++)
            {
                ma = (ma * sa[d]) + (sa[d] == 1 ? 0 : index[d]);
                mb = (mb * sb[d]) + (sb[d] == 1 ? 0 : index[d]);
            }

            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < m; j++)
                {
                    double sum = 0;
                    for (int t = 0; t < k; t++)
                    {
                        sum += (double)x[(ma * n * k) + (i * k) + t] * y[(mb * k * m) + (t * m) + j];
                    }

                    c[(p * n * m) + (i * m) + j] = (float)sum;
                }
            }
        }

        return c;
    }

    [Theory]
    [InlineData(new[] { 3, 2, 4, 5 }, new[] { 3, 2, 5, 3 })]
    [InlineData(new[] { 2, 1, 4, 5 }, new[] { 2, 3, 5, 2 })]
    [InlineData(new[] { 2, 3, 2, 4, 5 }, new[] { 2, 1, 2, 5, 3 })]
    [InlineData(new[] { 2, 3, 1, 2, 4 }, new[] { 2, 1, 2, 4, 3 })]
    public void Forward_MatMul_IsNumpysMatmulWithLeadingAxesBroadcast(int[] first, int[] second)
    {
        Tensor a = TestData.Normal(1, 1f, first), b = TestData.Normal(2, 1f, second);
        var layer = new MatMul();

        float[] y = layer.Forward([a, b], training: false).ToArray();

        float[] expected = ReferenceMatmul(a, b);
        Assert.Equal(expected.Length, y.Length);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(expected[i], y[i], 1e-5f);
        }
    }

    [Fact]
    public void Forward_MatMulOfTwoByTwoMatrices_GivesTheProductWorkedByHand()
    {
        // (1 2; 3 4) @ (5 6; 7 8) = (19 22; 43 50); the second head (2 0; 0 2) @ (5 6; 7 8) = (10 12; 14 16).
        Tensor a = Tensor.FromArray([1f, 2f, 3f, 4f, 2f, 0f, 0f, 2f], 1, 2, 2, 2);
        Tensor b = Tensor.FromArray([5f, 6f, 7f, 8f, 5f, 6f, 7f, 8f], 1, 2, 2, 2);
        Assert.Equal([19f, 22f, 43f, 50f, 10f, 12f, 14f, 16f], new MatMul().Forward([a, b], training: false).ToArray());
    }

    [Theory]
    [InlineData(new[] { 2, 2, 3, 4 }, new[] { 2, 2, 4, 3 })]
    [InlineData(new[] { 2, 1, 3, 4 }, new[] { 2, 3, 4, 2 })]
    [InlineData(new[] { 2, 2, 3, 4 }, new[] { 2, 1, 4, 2 })]
    public void Backward_MatMul_MatchesNumericalGradients(int[] first, int[] second)
    {
        Tensor[] inputs = [TestData.Normal(3, 1f, first), TestData.Normal(4, 1f, second)];
        MultiInputGradientChecker.CheckLayer(new MatMul(), inputs, seed: 5).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData(new[] { 2, 4, 5 }, new[] { 3, 5, 2 }, "axis 1 has 2 entries in the first input and 3 in the second")]
    [InlineData(new[] { 2, 4, 5 }, new[] { 2, 4, 2 }, "the first input's last axis has 5 entries and the second's next-to-last axis 4")]
    [InlineData(new[] { 2, 4, 5 }, new[] { 5, 2 }, "multiplies inputs of the same rank")]
    public void Build_MatMulOfShapesThatDoNotMultiply_IsRefusedNamingTheShapes(int[] first, int[] second, string expected)
    {
        var layer = new MatMul(name: "scores");
        var error = Assert.Throws<ArgumentException>(() => layer.Forward([Tensor.Ones([1, .. first]), Tensor.Ones([1, .. second])], training: false));
        Assert.Contains($"MatMul 'scores'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(new TensorShape(first).ToBatchString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_MatMulAndLogSoftmax_RecreateTheSameLayers()
    {
        Layer[] layers = [new MatMul(name: "mm"), new LogSoftmax(axis: 1, name: "ls"), new LogSoftmax([1, 2], name: "ls2")];
        foreach (Layer layer in layers)
        {
            Assert.Equal(layer.GetConfig().ToJson(), SerializationRegistry.Recreate(layer).GetConfig().ToJson());
        }

        Assert.Contains("\"axis\":1", layers[1].GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.Contains("\"axis\":[1,2]", layers[2].GetConfig().ToJson(), StringComparison.Ordinal);
    }

    // log_softmax over axis 1 of x (batch, 3, 2): each column of 3 values, y = x - max - log(sum(exp(x - max))).
    [Fact]
    public void Forward_LogSoftmaxOverAxis1_IsTheFormulaOverEachColumn()
    {
        float[] values = [1f, -2f, 0.5f, 3f, -1f, 0f, 2f, 2f, 2f, 1f, 0f, -4f];
        float[] y = new LogSoftmax(axis: 1).Forward(Tensor.FromArray(values, 2, 3, 2), training: false).ToArray();
        for (int s = 0; s < 2; s++)
        {
            for (int c = 0; c < 2; c++)
            {
                double[] column = [.. Enumerable.Range(0, 3).Select(r => (double)values[(s * 6) + (r * 2) + c])];
                double max = column.Max(), log = Math.Log(column.Sum(v => Math.Exp(v - max)));
                for (int r = 0; r < 3; r++)
                {
                    Assert.Equal(column[r] - max - log, y[(s * 6) + (r * 2) + c], 1e-6);
                }
            }
        }
    }

    [Fact]
    public void Forward_LogSoftmaxOverTheLastAxis_IsTheActivationsLogSoftmax()
    {
        Tensor x = TestData.Normal(7, 2f, 3, 4, 5);
        float[] v = x.ToArray(), y = new LogSoftmax().Forward(x, training: false).ToArray();
        for (int row = 0; row < 12; row++)
        {
            // x - log(sum(exp(x))) over the 5 entries of each row, in double.
            double logSum = Math.Log(Enumerable.Range(0, 5).Sum(j => Math.Exp(v[(row * 5) + j])));
            for (int j = 0; j < 5; j++)
            {
                Assert.Equal(v[(row * 5) + j] - logSum, y[(row * 5) + j], 1e-5);
            }
        }

        Assert.Equal(new Activation(global::NeuralNet.Activations.ActivationFunction.LogSoftmax).Forward(x, training: false).ToArray(), new LogSoftmax().Forward(x, training: false).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-2)]
    public void Backward_LogSoftmaxAndSoftmaxOverANonLastAxis_MatchNumericalGradients(int axis)
    {
        Tensor x = TestData.Normal(8, 1f, 2, 3, 4);
        GradientChecker.CheckLayer(new LogSoftmax(axis), x, seed: 9).AssertPassed(maxKinkFraction: 0);
        GradientChecker.CheckLayer(new Softmax(axis), x, seed: 10).AssertPassed(maxKinkFraction: 0);
        GradientChecker.CheckLayer(new LogSoftmax([1, 2]), x, seed: 11).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void LogSoftmax_OverTheBatchAxis_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new LogSoftmax(0, name: "ls"));
        Assert.Contains("ls", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardBackward_MatMulLogSoftmaxAndStackAfterWarmUp_AllocateNothing()
    {
        var matmul = new MatMul();
        var log = new LogSoftmax(axis: 2);
        var stack = new Stack(2);
        Tensor a = TestData.Normal(1, 1f, 4, 2, 3, 5), b = TestData.Normal(2, 1f, 4, 1, 5, 3), g = TestData.Normal(3, 1f, 4, 2, 3, 3);
        Tensor gs = TestData.Normal(4, 1f, 4, 2, 2, 3, 3);
        var gradients = new Tensor?[2];
        var stackGradients = new Tensor?[2];
        void Step()
        {
            Tensor y = matmul.Forward([a, b], training: true);
            Tensor z = log.Forward(y, training: true);
            _ = stack.Forward([y, z], training: true);
            stack.Backward(gs, stackGradients);
            Tensor dy = log.Backward(g);
            matmul.Backward(dy, gradients);
        }

        for (int i = 0; i < 3; i++)
        {
            Step();
        }

        AllocationCheck.AssertNone(Step);
    }

    [Theory]
    [InlineData(1, new[] { 1f, 2f, 3f, 4f, 5f, 6f, 10f, 20f, 30f, 40f, 50f, 60f }, new[] { 2, 2, 3 })]
    [InlineData(2, new[] { 1f, 2f, 3f, 10f, 20f, 30f, 4f, 5f, 6f, 40f, 50f, 60f }, new[] { 2, 2, 3 })]
    [InlineData(-1, new[] { 1f, 10f, 2f, 20f, 3f, 30f, 4f, 40f, 5f, 50f, 6f, 60f }, new[] { 2, 3, 2 })]
    public void Forward_Stack_IsNumpysStackAlongTheNewAxis(int axis, float[] expected, int[] outputShape)
    {
        // a = ((1, 2, 3), (4, 5, 6)), b = 10 a; np.stack([a, b], axis) per sample, counting the batch axis.
        Tensor a = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 1, 2, 3), b = Tensor.FromArray([10f, 20f, 30f, 40f, 50f, 60f], 1, 2, 3);
        Tensor y = new Stack(axis).Forward([a, b], training: false);
        Assert.Equal(new TensorShape([1, .. outputShape]), y.Shape);
        Assert.Equal(expected, y.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void Backward_Stack_MatchesNumericalGradients(int axis)
    {
        Tensor[] inputs = [TestData.Normal(12, 1f, 2, 3, 2), TestData.Normal(13, 1f, 2, 3, 2), TestData.Normal(14, 1f, 2, 3, 2)];
        MultiInputGradientChecker.CheckLayer(new Stack(axis), inputs, seed: 15).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Stack_OfInputsOfDifferentShapesOrAlongTheBatchAxis_IsRefusedNamingTheShapes()
    {
        var error = Assert.Throws<ArgumentException>(() => new Stack(1, name: "pair").Forward([Tensor.Ones(1, 2, 3), Tensor.Ones(1, 3, 2)], training: false));
        Assert.Contains("Stack 'pair' stacks inputs of the same shape, but input 0 is (None, 2, 3) and input 1 (None, 3, 2)", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Stack(0));
        var range = Assert.Throws<ArgumentException>(() => new Stack(4, name: "far").Forward([Tensor.Ones(1, 2, 3)], training: false));
        Assert.Contains("Stack 'far' stacks along axis 4, which an output of rank 4", range.Message, StringComparison.Ordinal);
        Assert.Equal(new Stack(-2, name: "s").GetConfig().ToJson(), SerializationRegistry.Recreate(new Stack(-2, name: "s")).GetConfig().ToJson());
    }
}
