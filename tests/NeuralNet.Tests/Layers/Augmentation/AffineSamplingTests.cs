using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

public class AffineSamplingTests
{
    public static TheoryData<FillMode, Interpolation> Modes()
    {
        var data = new TheoryData<FillMode, Interpolation>();
        foreach (FillMode mode in Enum.GetValues<FillMode>())
        {
            data.Add(mode, Interpolation.Bilinear);
            data.Add(mode, Interpolation.Nearest);
        }

        return data;
    }

    // Transforms whose coordinates leave the 5x7 image by up to twice its size on every side; from trial 20 on,
    // projective ones (RandomPerspective's 8 entries) with c0, c1 in ±0.06, so k = c0·x + c1·y + 1 stays in [0.4, 1.6].
    private static double[] RandomTransform(SeededRandom random, int trial)
    {
        double angle = random.NextDouble() * 2 * Math.PI, scale = 0.5 + (1.5 * random.NextDouble());
        double cos = Math.Cos(angle) * scale, sin = Math.Sin(angle) * scale;
        double[] affine = [cos, -sin, (random.NextDouble() * 20) - 10, sin, cos, (random.NextDouble() * 16) - 8];
        return trial < 20 ? affine : [.. affine, (random.NextDouble() - 0.5) * 0.12, (random.NextDouble() - 0.5) * 0.12];
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Forward_MatchesTheReferenceTwin(FillMode mode, Interpolation interpolation)
    {
        const int height = 5, width = 7, channels = 3;
        Tensor x = TestData.Normal(1, 1f, height, width, channels);
        var random = new SeededRandom(2);
        var y = new float[x.Length];
        var expected = new double[x.Length];
        for (int trial = 0; trial < 40; trial++)
        {
            double[] transform = RandomTransform(random, trial);
            AffineSampling.Forward(x.AsReadOnlySpan(), height, width, channels, transform, interpolation, mode, 0.75f, y);
            AffineSampling.ForwardReference(x.AsReadOnlySpan(), height, width, channels, transform, interpolation, mode, 0.75, expected);
            AugmentationTestKit.AssertClose(expected, y, 1e-5, $"{mode} {interpolation} trial {trial}");
        }
    }

    // <A x, g> = <x, Aᵀ g> for the linear part (constant fill 0): the backward pass is the exact adjoint.
    [Theory]
    [MemberData(nameof(Modes))]
    public void Backward_IsTheAdjointOfForward(FillMode mode, Interpolation interpolation)
    {
        const int height = 5, width = 7, channels = 2;
        Tensor x = TestData.Normal(3, 1f, height, width, channels), g = TestData.Normal(4, 1f, height, width, channels);
        var random = new SeededRandom(5);
        var y = new float[x.Length];
        var dx = new float[x.Length];
        for (int trial = 0; trial < 40; trial++)
        {
            double[] transform = RandomTransform(random, trial);
            AffineSampling.Forward(x.AsReadOnlySpan(), height, width, channels, transform, interpolation, mode, 0f, y);
            AffineSampling.Backward(g.AsReadOnlySpan(), height, width, channels, transform, interpolation, mode, dx);
            double left = 0, right = 0;
            for (int i = 0; i < y.Length; i++)
            {
                left += (double)y[i] * g.AsReadOnlySpan()[i];
                right += (double)x.AsReadOnlySpan()[i] * dx[i];
            }

            Assert.True(Math.Abs(left - right) <= 1e-4 * (1 + Math.Abs(left)), $"{mode} {interpolation} trial {trial}: <Ax, g> = {left} but <x, Aᵀg> = {right}");
        }
    }

    // Keras' documentation of the fill modes, on the row a b c d = 1 2 3 4 sampled at columns −4 .. 7.
    [Theory]
    [InlineData(FillMode.Reflect, new[] { 4, 3, 2, 1, 1, 2, 3, 4, 4, 3, 2, 1 })]
    [InlineData(FillMode.Wrap, new[] { 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4 })]
    [InlineData(FillMode.Nearest, new[] { 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4 })]
    [InlineData(FillMode.Constant, new[] { 9, 9, 9, 9, 1, 2, 3, 4, 9, 9, 9, 9 })]
    public void Resolve_ExtendsTheImageAsKerasDocuments(FillMode mode, int[] expected)
    {
        float[] row = [1, 2, 3, 4];
        var sampled = new int[12];
        for (int column = -4; column < 8; column++)
        {
            sampled[column + 4] = AffineSampling.Resolve(column, 4, mode, out int index) ? (int)row[index] : 9;
        }

        Assert.Equal(expected, sampled);
    }

    [Fact]
    public void Forward_IdentityTransform_CopiesAndNearestRoundsHalvesAwayFromZero()
    {
        Tensor x = TestData.Normal(6, 1f, 3, 4, 2);
        var y = new float[x.Length];
        AffineSampling.Forward(x.AsReadOnlySpan(), 3, 4, 2, [1, 0, 0, 0, 1, 0], Interpolation.Bilinear, FillMode.Constant, 0f, y);
        Assert.Equal(x.ToArray(), y);

        // Column −0.5 rounds to −1 (outside: the fill value), column 0.5 to 1, as TensorFlow rounds.
        float[] row = [10, 20, 30];
        var z = new float[3];
        AffineSampling.Forward(row, 1, 3, 1, [1, 0, -0.5, 0, 1, 0], Interpolation.Nearest, FillMode.Constant, -1f, z);
        Assert.Equal([-1f, 20f, 30f], z);
        AffineSampling.Forward(row, 1, 3, 1, [1, 0, 0.5, 0, 1, 0], Interpolation.Nearest, FillMode.Constant, -1f, z);
        Assert.Equal([20f, 30f, -1f], z);
    }

    // Keras' perspective_transform divides by k = c0·x + c1·y + 1: with (a0, a1, a2, b0, b1, b2) the identity and c0 = 1,
    // output column x reads input column x / (x + 1) on every row (0, 1/2, 2/3), sampled bilinearly.
    [Fact]
    public void Forward_ProjectiveTransform_DividesByK()
    {
        float[] row = [10, 20, 30];
        var y = new float[3];
        AffineSampling.Forward(row, 1, 3, 1, [1, 0, 0, 0, 1, 0, 1, 0], Interpolation.Bilinear, FillMode.Constant, -1f, y);
        Assert.Equal(10f, y[0]);
        Assert.Equal(15f, y[1]);
        Assert.Equal(10f + (10f * (2f / 3f)), y[2], 5);

        // k = 0 at column 1 (c0 = -1): the point is at infinity, read as outside (the fill value) instead of a NaN.
        AffineSampling.Forward(row, 1, 3, 1, [1, 0, 0, 0, 1, 0, -1, 0], Interpolation.Bilinear, FillMode.Constant, -1f, y);
        Assert.Equal(-1f, y[1]);
        Assert.Equal((-1e8, -1e8), AffineSampling.Source([1, 0, 0, 0, 1, 0, -1, 0], 1, 0));
        Assert.Equal((2.0, 4.0), AffineSampling.Source([1, 0, 0, 0, 1, 0, -0.5, 0], 1, 2));
    }
}
