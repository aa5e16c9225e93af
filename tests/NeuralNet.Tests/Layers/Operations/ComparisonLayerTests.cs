using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Operations;

/// <summary>
/// Comparison (ops.greater, ..., ops.logical_not; session 39) and Where with a number as x1 or x2. Expected values are
/// NumPy's, worked out by hand: comparisons are IEEE's (every ordered comparison with NaN false, != true), logical
/// operations read a number as bool(x) (nonzero, NaN included, true; 0 and -0 false), and True is 1 as a float.
/// </summary>
public class ComparisonLayerTests
{
    // a = (1, 2, 3, NaN, -0, 0, 5), b = (2, 2, 1, 1, 0, NaN, 0).
    private static readonly float[] s_a = [1f, 2f, 3f, float.NaN, -0f, 0f, 5f];
    private static readonly float[] s_b = [2f, 2f, 1f, 1f, 0f, float.NaN, 0f];

    [Theory]
    [InlineData(ComparisonOperator.Greater, new[] { 0f, 0f, 1f, 0f, 0f, 0f, 1f })]
    [InlineData(ComparisonOperator.GreaterEqual, new[] { 0f, 1f, 1f, 0f, 1f, 0f, 1f })]
    [InlineData(ComparisonOperator.Less, new[] { 1f, 0f, 0f, 0f, 0f, 0f, 0f })]
    [InlineData(ComparisonOperator.LessEqual, new[] { 1f, 1f, 0f, 0f, 1f, 0f, 0f })]
    [InlineData(ComparisonOperator.Equal, new[] { 0f, 1f, 0f, 0f, 1f, 0f, 0f })]
    [InlineData(ComparisonOperator.NotEqual, new[] { 1f, 0f, 1f, 1f, 0f, 1f, 1f })]
    [InlineData(ComparisonOperator.LogicalAnd, new[] { 1f, 1f, 1f, 1f, 0f, 0f, 0f })]
    [InlineData(ComparisonOperator.LogicalOr, new[] { 1f, 1f, 1f, 1f, 0f, 1f, 1f })]
    public void Forward_TwoInputs_IsNumpysComparisonAsZeroOrOne(ComparisonOperator op, float[] expected)
    {
        var comparison = new Comparison(op);
        comparison.Build([new TensorShape(7), new TensorShape(7)]);

        Tensor y = comparison.Forward([Tensor.FromArray(s_a, 1, 7), Tensor.FromArray(s_b, 1, 7)], training: false);

        Assert.Equal(expected, y.ToArray());
    }

    [Theory]
    // Against the number 1: a = (1, 2, 3, NaN, -0, 0, 5).
    [InlineData(ComparisonOperator.Greater, 1f, new[] { 0f, 1f, 1f, 0f, 0f, 0f, 1f })]
    [InlineData(ComparisonOperator.LessEqual, 1f, new[] { 1f, 0f, 0f, 0f, 1f, 1f, 0f })]
    [InlineData(ComparisonOperator.NotEqual, 0f, new[] { 1f, 1f, 1f, 1f, 0f, 0f, 1f })]
    [InlineData(ComparisonOperator.LogicalAnd, 0f, new[] { 0f, 0f, 0f, 0f, 0f, 0f, 0f })]
    [InlineData(ComparisonOperator.LogicalOr, 0f, new[] { 1f, 1f, 1f, 1f, 0f, 0f, 1f })]
    public void Forward_AgainstANumber_IsNumpysComparison(ComparisonOperator op, float constant, float[] expected)
    {
        var comparison = new Comparison(op, constant);
        comparison.Build(new TensorShape(7));

        Assert.Equal(expected, comparison.Forward(Tensor.FromArray(s_a, 1, 7), training: false).ToArray());
    }

    [Fact]
    public void Forward_LogicalNot_IsOneWhereZero()
    {
        var not = new Comparison(ComparisonOperator.LogicalNot);
        not.Build(new TensorShape(7));

        Assert.Equal([0f, 0f, 0f, 0f, 1f, 1f, 0f], not.Forward(Tensor.FromArray(s_a, 1, 7), training: false).ToArray());
    }

    [Fact]
    public void Forward_TwoInputsBroadcast_ComparesEachRowWithTheThresholds()
    {
        // a (1, 2, 3) = 1..6 against b (1, 1, 3) = (2, 5, 3): row 0 (1, 2, 3), row 1 (4, 5, 6).
        var comparison = new Comparison(ComparisonOperator.GreaterEqual);
        comparison.Build([new TensorShape(2, 3), new TensorShape(1, 3)]);

        Tensor y = comparison.Forward([Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 1, 2, 3), Tensor.FromArray([2f, 5f, 3f], 1, 1, 3)], training: false);

        Assert.Equal([0f, 0f, 1f, 1f, 1f, 1f], y.ToArray());
    }

    [Fact]
    public void Backward_Comparison_MatchesNumericalGradientsOfZero()
    {
        // Away from ties a comparison is constant, so the numerical gradients are 0: two inputs get none (null, read as
        // 0), one input a tensor of zeros (a single input's null gradient would pass the output's gradient through).
        Tensor a = TestData.Normal(60, 1f, 2, 3, 4), b = TestData.Normal(61, 1f, 2, 3, 4);
        var two = new Comparison(ComparisonOperator.Less);
        var one = new Comparison(ComparisonOperator.Greater, 0.05f);
        Tensor upstream = TestData.Normal(62, 1f, 2, 3, 4);
        two.Forward([a, b], training: true);
        one.Forward(a, training: true);
        Tensor?[] slots = new Tensor?[2];
        two.Backward(upstream, slots);
        float[] single = one.Backward(upstream).ToArray();
        Assert.Null(slots[0]);
        Assert.Null(slots[1]);
        Assert.All(single, g => Assert.Equal(0f, g));

        double Objective(Func<ReadOnlySpan<float>> y)
        {
            ReadOnlySpan<float> values = y(), g = upstream.AsReadOnlySpan();
            double sum = 0;
            for (int i = 0; i < values.Length; i++)
            {
                sum += (double)g[i] * values[i];
            }

            return sum;
        }

        var report = new GradientCheckReport();
        GradientChecker.CheckTensor(report, "a", a, new float[a.Length], () => Objective(() => two.Forward([a, b], training: false).AsReadOnlySpan()), GradientCheckOptions.Default, 63);
        GradientChecker.CheckTensor(report, "b", b, new float[b.Length], () => Objective(() => two.Forward([a, b], training: false).AsReadOnlySpan()), GradientCheckOptions.Default, 64);
        GradientChecker.CheckTensor(report, "x", a, single, () => Objective(() => one.Forward(a, training: false).AsReadOnlySpan()), GradientCheckOptions.Default, 65);
        report.AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void ComputeGradients_MaskFromADenseThroughGreaterIntoWhereOfANumber_GivesThatDenseZeroGradients()
    {
        // scores = where(dense(x) > 0, other(x), -3): the condition gets no gradient, so the model never runs the
        // Comparison's backward and the Dense making the mask gets none (zeros) at every step; the scores' Dense learns.
        var x = new Input(4);
        var gate = new Dense(3, name: "gate");
        var scores = new Dense(3, name: "scores");
        SymbolicTensor mask = new Comparison(ComparisonOperator.Greater, 0f).Call(gate.Call(x));
        SymbolicTensor y = new Where(null, -3f).Call(mask, scores.Call(x));
        var model = new Functional(x, y, seed: 8);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());

        ConditionGradients.AssertNoneReachTheCondition(model, gate, scores, TestData.Normal(66, 1f, 8, 4), TestData.Normal(67, 1f, 8, 3));
    }

    [Fact]
    public void Backward_ModelMaskingScoresWithAComparisonOfItsInput_MatchesNumericalGradients()
    {
        // where(x > 0, dense(x), -1e9) and where(x <= 0.5, 0.25, dense2(x)): the Dense layers' gradients (x's comparisons
        // do not move when their weights do, so no kinks) against numerical ones.
        var x = new Input(4);
        SymbolicTensor first = new Where(null, -1e9f).Call(new Comparison(ComparisonOperator.Greater, 0f).Call(x), new Dense(4).Call(x));
        SymbolicTensor second = new Where(0.25f, null).Call(new Comparison(ComparisonOperator.LessEqual, 0.5f).Call(x), new Dense(4).Call(x));
        var model = new Functional(x, new Add().Call(new Activation(NeuralNet.Activations.ActivationFunction.Softmax).Call(first), second), seed: 9);

        ModelGradientChecker.Check(model, [TestData.Normal(69, 1f, 5, 4)], seed: 70).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_ModelMultiplyingByAComparisonOfTheSameTensor_MatchesNumericalGradients()
    {
        // y = h * (h > 0) = relu(h) and z = h + where(h, 2, -1), h = dense(x): the comparison's and the where's outputs
        // get a gradient, so their backward runs and must give h none (passing it through would add g * h and g).
        var x = new Input(4);
        SymbolicTensor h = new Dense(5).Call(x);
        SymbolicTensor y = new Multiply().Call(h, new Comparison(ComparisonOperator.Greater, 0f).Call(h));
        SymbolicTensor z = new Add().Call(h, new Where(2f, -1f).Call(h));
        var model = new Functional(x, new Concatenate().Call(y, z), seed: 11);

        ModelGradientChecker.Check(model, [TestData.Normal(71, 1f, 6, 4)], seed: 72).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void ComputeGradients_DenseThroughAComparisonIntoMultiply_GetsOnlyTheMultiplysGradient()
    {
        // relu(h) written as h * (h > 0): the Dense's bias gradient is the sum of g where h > 0, nothing through the comparison.
        var x = new Input(3);
        var dense = new Dense(2, name: "d");
        SymbolicTensor h = dense.Call(x);
        var reference = new Dense(2, name: "r");
        var model = new Functional(x, new Multiply().Call(h, new Comparison(ComparisonOperator.Greater, 0f).Call(h)), seed: 12);
        var relu = new Functional(x, new Activation(NeuralNet.Activations.ActivationFunction.Relu).Call(reference.Call(x)), seed: 12);
        dense.Parameters[0].Value.AsReadOnlySpan().CopyTo(reference.Parameters[0].Value.AsSpan());
        dense.Parameters[1].Value.AsReadOnlySpan().CopyTo(reference.Parameters[1].Value.AsSpan());
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        relu.Compile(new Sgd(0.1f), new MeanSquaredError());
        Tensor inputs = TestData.Normal(73, 1f, 8, 3), targets = TestData.Normal(74, 1f, 8, 2);

        Assert.Equal(relu.ComputeGradients(inputs, targets), model.ComputeGradients(inputs, targets));

        Assert.Equal(reference.Parameters[0].Gradient.ToArray(), dense.Parameters[0].Gradient.ToArray());
        Assert.Equal(reference.Parameters[1].Gradient.ToArray(), dense.Parameters[1].Gradient.ToArray());
    }

    [Fact]
    public void Constructor_BadArguments_AreRefusedNamingThem()
    {
        Assert.Contains("Received: constant=NaN", Assert.Throws<ArgumentOutOfRangeException>(() => new Comparison(ComparisonOperator.Less, float.NaN)).Message, StringComparison.Ordinal);
        Assert.Contains("no number with LogicalNot", Assert.Throws<ArgumentOutOfRangeException>(() => new Comparison(ComparisonOperator.LogicalNot, 1f)).Message, StringComparison.Ordinal);
        Assert.Contains("Expected one of Greater", Assert.Throws<ArgumentOutOfRangeException>(() => new Comparison((ComparisonOperator)42)).Message, StringComparison.Ordinal);
        var two = new Comparison(ComparisonOperator.Equal, name: "same");
        Assert.Contains("'same'", Assert.ThrowsAny<Exception>(() => two.Call(new Input(3))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recreate_Comparison_KeepsItsConfig()
    {
        Layer[] layers = [new Comparison(ComparisonOperator.GreaterEqual, name: "c"), new Comparison(ComparisonOperator.Less, -0.5f, "d"), new Comparison(ComparisonOperator.LogicalNot, name: "n")];
        foreach (Layer layer in layers)
        {
            Assert.Equal(layer.GetConfig().ToJson(), SerializationRegistry.Recreate(layer).GetConfig().ToJson());
        }

        Assert.Equal("greaterequal", layers[0].GetConfig().GetString("operator"));
    }

    [Fact]
    public void TrainingStep_Comparison_AllocatesNothingAfterTheFirstBatch()
    {
        Tensor a = Tensor.RandomUniform(new TensorShape(4, 3, 2), 10, -1f, 1f), b = Tensor.Ones(4, 1, 2), ones = Tensor.Ones(4, 3, 2);
        var two = new Comparison(ComparisonOperator.LogicalOr);
        two.Build([new TensorShape(3, 2), new TensorShape(1, 2)]);
        var one = new Comparison(ComparisonOperator.Greater, 0f);
        one.Build(new TensorShape(3, 2));
        Tensor?[] slots = new Tensor?[2];
        void Step()
        {
            two.Forward([a, b], training: true);
            two.Backward(ones, slots);
            one.Forward(a, training: true);
            one.Backward(ones);
        }

        Step();
        AllocationCheck.AssertNone(Step);
    }
}
