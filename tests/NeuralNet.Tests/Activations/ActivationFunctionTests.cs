using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NeuralNet.Activations;
using NeuralNet.Kernels;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers;
using Xunit;
using TestData = NeuralNet.Tests.GradientChecking.TestData;

namespace NeuralNet.Tests.Activations;

/// <summary>A random activation input: rows x columns, with the function's index in <see cref="DenseCase.Activations"/>.</summary>
public sealed record ActivationCase(int FunctionIndex, int Rows, int Columns, long Seed)
{
    /// <summary>The function.</summary>
    public ActivationFunction Function => DenseCase.Activations[FunctionIndex];

    /// <inheritdoc/>
    public override string ToString() => $"{Function.Name}#{FunctionIndex} on ({Rows}, {Columns}), seed {Seed}";
}

/// <summary>FsCheck generators for activation properties.</summary>
public static class ActivationCases
{
    /// <summary>Every activation on 1-6 rows of 1-40 columns.</summary>
    public static Arbitrary<ActivationCase> ActivationCase() =>
        (from function in Gen.Choose(0, DenseCase.Activations.Length - 1)
         from rows in Gen.Choose(1, 6)
         from columns in Gen.Choose(1, 40)
         from seed in Gen.Choose(0, 1_000_000)
         select new ActivationCase(function, rows, columns, seed)).ToArbitrary();
}

public class ActivationFunctionTests
{
    private static float[] Apply(ActivationFunction f, float[] x, int columns)
    {
        var y = new float[x.Length];
        f.Forward(x, y, columns);
        return y;
    }

    [Property(Arbitrary = [typeof(ActivationCases)], MaxTest = 100, Replay = "(4242,1235)")]
    public void Backward_RandomInputs_MatchesNumericalGradient(ActivationCase c)
    {
        // Inputs kept 0.01 away from 0 so a step of 1e-3 never crosses the kink of ReLU-like functions.
        Tensor x = TestData.AwayFromZero(c.Seed, 0.01f, c.Rows, c.Columns);
        x.Scale(2f);
        GradientCheckReport report = GradientChecker.CheckActivation(c.Function, x, c.Columns, c.Seed);
        report.AssertPassed(maxKinkFraction: 0);
    }

    [Property(Arbitrary = [typeof(ActivationCases)], MaxTest = 50, Replay = "(777,1237)")]
    public void ForwardBackward_InPlace_SameAsSeparateBuffers(ActivationCase c)
    {
        float[] x = TestData.Normal(c.Seed, 2f, c.Rows, c.Columns).ToArray();
        float[] g = TestData.Normal(c.Seed + 1, 1f, c.Rows, c.Columns).ToArray();
        float[] y = Apply(c.Function, x, c.Columns);
        var dx = new float[x.Length];
        c.Function.Backward(x, y, g, dx, c.Columns);

        float[] inPlace = (float[])x.Clone();
        c.Function.Forward(inPlace, inPlace, c.Columns);
        Assert.Equal(y, inPlace);
        float[] gInPlace = (float[])g.Clone();
        c.Function.Backward(x, y, gInPlace, gInPlace, c.Columns);
        Assert.Equal(dx, gInPlace);
    }

    [Theory]
    [InlineData("linear", -2f, -2f)]
    [InlineData("relu", -2f, 0f)]
    [InlineData("relu", 3f, 3f)]
    [InlineData("sigmoid", 0f, 0.5f)]
    [InlineData("sigmoid", 2f, 0.8807971f)]
    [InlineData("tanh", 1f, 0.7615942f)]
    [InlineData("leaky_relu", -1f, -0.2f)]
    [InlineData("leaky_relu", 1.5f, 1.5f)]
    [InlineData("elu", -1f, -0.6321206f)]
    [InlineData("elu", 2f, 2f)]
    [InlineData("gelu", 1f, 0.8413447f)]
    [InlineData("gelu", -1f, -0.1586553f)]
    [InlineData("gelu", 3f, 2.9959502f)]
    public void Forward_KnownPoint_MatchesReferenceValue(string name, float x, float expected)
    {
        ActivationFunction f = name switch
        {
            "linear" => ActivationFunction.Linear,
            "relu" => ActivationFunction.Relu,
            "sigmoid" => ActivationFunction.Sigmoid,
            "tanh" => ActivationFunction.Tanh,
            "leaky_relu" => ActivationFunction.LeakyRelu,
            "elu" => ActivationFunction.Elu,
            _ => ActivationFunction.Gelu,
        };
        Assert.Equal(name, f.Name);
        Assert.Equal(expected, Apply(f, [x], 1)[0], 1e-6f);
    }

    [Fact]
    public void Gelu_Approximate_MatchesTanhFormula()
    {
        // 0.5 * 1 * (1 + tanh(sqrt(2/pi) * (1 + 0.044715))) = 0.8411920
        Assert.Equal(0.841192f, Apply(new Gelu(approximate: true), [1f], 1)[0], 1e-6f);
        Assert.False(new Gelu().Approximate);
    }

    [Fact]
    public void Gelu_Exact_VectorBlocksAndTail_MatchScalarFormula()
    {
        // 1,003 values (a tail after the 8-float blocks) from -12 to 12, with 0, ±0.5 and the signs mixed, against the
        // formula evaluated one value at a time in double precision.
        const int length = 1003;
        var x = new float[length];
        var dy = new float[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = (i % 2 == 0 ? 1f : -1f) * (i * 12f / length);
            dy[i] = 1f - (i * 0.001f);
        }

        x[500] = 0f;
        x[501] = 0.5f;
        x[502] = -0.5f;
        var y = new float[length];
        var dx = new float[length];
        var gelu = new Gelu();
        gelu.Forward(x, y, 1);
        gelu.Backward(x, y, dy, dx, 1);
        for (int i = 0; i < length; i++)
        {
            double v = x[i];
            double expected = 0.5 * v * ErrorFunction.Erfc(-v * 0.70710678118654752440);
            double derivative = (0.5 * ErrorFunction.Erfc(-v * 0.70710678118654752440)) + (v * 0.39894228040143267794 * Math.Exp(-0.5 * v * v));
            Assert.True(Math.Abs(y[i] - expected) <= 1e-6 * Math.Max(1.0, Math.Abs(expected)), $"gelu({v}) = {y[i]}, expected {expected}");
            Assert.True(Math.Abs(dx[i] - (dy[i] * derivative)) <= 1e-6 * Math.Max(1.0, Math.Abs(dy[i] * derivative)), $"gelu'({v}) dy = {dx[i]}, expected {dy[i] * derivative}");
        }

        // In place, as an Activation layer may call it.
        float[] inPlace = (float[])x.Clone();
        gelu.Forward(inPlace, inPlace, 1);
        Assert.Equal(y, inPlace);
    }

    [Fact]
    public void Erfc_ReferencePoints_WithinFloatPrecision()
    {
        // erfc(0.5), erfc(-1), erfc(2) to 20 digits (Abramowitz and Stegun 7.1; Python's math.erfc agrees), within the
        // 1e-9 relative ErrorFunction.Erfc documents.
        Assert.Equal(0.47950012218695346232, ErrorFunction.Erfc(0.5), 1e-9 * 0.4795);
        Assert.Equal(1.8427007929497148693, ErrorFunction.Erfc(-1), 1e-9 * 1.8427);
        Assert.Equal(0.0046777349810472658379, ErrorFunction.Erfc(2), 1e-9 * 0.0046777);
    }

    [Fact]
    public void Softmax_LargeLogits_StableAndRowsSumToOne()
    {
        float[] x = [1000f, 1001f, 1002f, -1000f, 0f, 1000f];
        float[] y = Apply(ActivationFunction.Softmax, x, 3);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1f, y[0] + y[1] + y[2], 1e-6f);
        Assert.Equal(1f, y[3] + y[4] + y[5], 1e-6f);
        // softmax(0, 1, 2) = (0.0900306, 0.2447285, 0.6652410)
        Assert.Equal(0.0900306f, y[0], 1e-6f);
        Assert.Equal(0.6652410f, y[2], 1e-6f);
        Assert.Equal(1f, y[5], 1e-6f);
    }

    [Fact]
    public void Softmax_RowsAreIndependent()
    {
        float[] x = [1f, 2f, 3f, 4f];
        float[] y = Apply(ActivationFunction.Softmax, x, 2);
        Assert.Equal(y[0], y[2], 1e-7f);
        Assert.Equal(y[1], y[3], 1e-7f);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(17)]
    [InlineData(64)]
    [InlineData(259)]
    public void Relu_EveryTailLength_MatchesScalarDefinition(int length)
    {
        float[] x = TestData.Normal(length, 1f, Math.Max(length, 1)).ToArray()[..length];
        float[] g = TestData.Normal(length + 100, 1f, Math.Max(length, 1)).ToArray()[..length];
        float[] y = new float[length], dx = new float[length];
        ActivationFunction.Relu.Forward(x, y, Math.Max(length, 1));
        ActivationFunction.Relu.Backward(x, y, g, dx, Math.Max(length, 1));
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(Math.Max(x[i], 0f), y[i]);
            Assert.Equal(x[i] > 0 ? g[i] : 0f, dx[i]);
        }
    }

    [Fact]
    public void Forward_LengthNotMultipleOfColumns_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => ActivationFunction.Softmax.Forward(new float[5], new float[5], 2));
        Assert.Contains("5 elements", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ActivationFunction.Relu.Forward(new float[4], new float[3], 4));
    }

    [Fact]
    public void Constructors_InvalidParameters_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeakyRelu(-0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeakyRelu(float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Elu(float.PositiveInfinity));
    }

    [Fact]
    public void Defaults_MatchKeras()
    {
        Assert.Equal(0.2f, new LeakyRelu().NegativeSlope);
        Assert.Equal(1f, new Elu().Alpha);
        Assert.Same(ActivationFunction.Relu, ActivationFunction.Relu);
        Assert.IsType<Softmax>(ActivationFunction.Softmax);
        Assert.Equal("softmax", ActivationFunction.Softmax.ToString());
    }
}
