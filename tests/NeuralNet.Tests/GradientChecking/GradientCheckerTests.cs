using NeuralNet.Initializers;
using NeuralNet.Layers;
using Xunit;

namespace NeuralNet.Tests.GradientChecking;

public class GradientCheckerTests
{
    // y = w ⊙ x² per element; the backward can be sabotaged to check that the checker notices.
    private sealed class SquareScale(float inputGradientError, float weightGradientError) : Layer(null)
    {
        private Parameter? _weight;
        private Tensor? _input;
        private Tensor? _output;
        private Tensor? _inputGradient;

        public override string DefaultNamePrefix => "square_scale";

        protected override TensorShape OnBuild(TensorShape inputShape)
        {
            _weight = AddParameter("weight", inputShape, new RandomNormal(1, 0.5, seed: 5));
            return inputShape;
        }

        protected override Tensor OnForward(Tensor input, bool training)
        {
            _input = input;
            Tensor y = BatchView(ref _output, input.Shape[0], OutputShape);
            ReadOnlySpan<float> x = input.AsReadOnlySpan(), w = _weight!.Value.AsReadOnlySpan();
            for (int i = 0; i < x.Length; i++)
            {
                y.AsSpan()[i] = w[i % w.Length] * x[i] * x[i];
            }

            return y;
        }

        protected override Tensor OnBackward(Tensor outputGradient)
        {
            Tensor dx = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
            ReadOnlySpan<float> x = _input!.AsReadOnlySpan(), w = _weight!.Value.AsReadOnlySpan(), g = outputGradient.AsReadOnlySpan();
            Span<float> dw = _weight.Gradient.AsSpan();
            for (int i = 0; i < x.Length; i++)
            {
                dx.AsSpan()[i] = g[i] * 2 * w[i % w.Length] * x[i] * (1 + inputGradientError);
                dw[i % w.Length] += g[i] * x[i] * x[i] * (1 + weightGradientError);
            }

            return dx;
        }
    }

    [Fact]
    public void CheckLayer_CorrectGradients_Passes()
    {
        GradientCheckReport report = GradientChecker.CheckLayer(new SquareScale(0, 0), TestData.Normal(1, 1f, 3, 4), seed: 2);
        Assert.True(report.Passed(), report.ToString());
        Assert.Equal(12 + 4, report.Checked);
    }

    [Fact]
    public void CheckLayer_InputGradientTenPercentOff_ReportsInputMismatches()
    {
        GradientCheckReport report = GradientChecker.CheckLayer(new SquareScale(0.1f, 0), TestData.Normal(1, 1f, 3, 4), seed: 2);
        Assert.False(report.Passed());
        Assert.NotEmpty(report.Mismatches);
        Assert.All(report.Mismatches, m => Assert.Equal("input", m.Variable));
    }

    [Fact]
    public void CheckLayer_WeightGradientTenPercentOff_ReportsWeightMismatches()
    {
        GradientCheckReport report = GradientChecker.CheckLayer(new SquareScale(0, 0.1f), TestData.Normal(1, 1f, 3, 4), seed: 2);
        Assert.False(report.Passed());
        Assert.All(report.Mismatches, m => Assert.Equal("weight", m.Variable));
        Assert.Throws<Xunit.Sdk.XunitException>(() => report.AssertPassed());
    }

    [Fact]
    public void CheckTensor_AbsoluteValueAtItsKink_CountsAKinkNotAMismatch()
    {
        // f(x) = |x| at x = 0.0001 < h/4: the central differences are 0.1 and 0.4 but the analytic derivative 1 is the right side's.
        Tensor x = Tensor.FromArray([0.0001f], 1);
        var report = new GradientCheckReport();
        GradientChecker.CheckTensor(report, "x", x, [1f], () => Math.Abs(x[0]), GradientCheckOptions.Default, seed: 1);
        Assert.Equal(1, report.Kinks);
        Assert.Empty(report.Mismatches);
        Assert.False(report.Passed(maxKinkFraction: 0.5), "a check that is all kinks is no check");
    }

    [Fact]
    public void CheckTensor_SharpCurvature_AgreesAtAQuarterStep()
    {
        // f(x) = exp(400x) at 0: the central difference at h = 1e-3 is 2.7 % high (h²·400²/6); at h/4 0.17 %.
        Tensor x = Tensor.FromArray([0f], 1);
        var report = new GradientCheckReport();
        GradientChecker.CheckTensor(report, "x", x, [400f], () => Math.Exp(400 * (double)x[0]), GradientCheckOptions.Default, seed: 1);
        Assert.Equal(1, report.Refined);
        Assert.Empty(report.Mismatches);
        Assert.True(report.Passed());
    }

    [Fact]
    public void CheckTensor_WrongDerivativeUnderSharpCurvature_IsStillAMismatch()
    {
        Tensor x = Tensor.FromArray([0f], 1);
        var report = new GradientCheckReport();
        GradientChecker.CheckTensor(report, "x", x, [420f], () => Math.Exp(400 * (double)x[0]), GradientCheckOptions.Default, seed: 1);
        Assert.Single(report.Mismatches);
    }

    [Fact]
    public void CheckTensor_WrongDerivativeNearKink_IsAMismatch()
    {
        Tensor x = Tensor.FromArray([0.0004f], 1);
        var report = new GradientCheckReport();
        GradientChecker.CheckTensor(report, "x", x, [3f], () => Math.Abs(x[0]), GradientCheckOptions.Default, seed: 1);
        Assert.Single(report.Mismatches);
    }

    [Fact]
    public void CheckTensor_LargeVariable_ChecksTheSampleAndRestoresValues()
    {
        Tensor x = TestData.Normal(3, 1f, 1000);
        float[] before = x.ToArray();
        var report = new GradientCheckReport();
        float[] analytic = before.Select(v => 2 * v).ToArray();
        GradientChecker.CheckTensor(report, "x", x, analytic, () => x.AsReadOnlySpan().ToArray().Sum(v => (double)v * v), GradientCheckOptions.Default with { MaxElementsPerVariable = 50 }, seed: 4);
        Assert.Equal(50, report.Checked);
        Assert.True(report.Passed(), report.ToString());
        Assert.Equal(before, x.ToArray());
    }
}
