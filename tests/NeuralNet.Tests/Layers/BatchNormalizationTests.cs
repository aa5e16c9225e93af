using FsCheck.Xunit;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

public class BatchNormalizationTests
{
    private const string Seed = "(1618033,7)";

    [Fact]
    public void ForwardTraining_HandComputedBatch_NormalizesWithBatchStatistics()
    {
        // Channel 0: {1, 3} -> mean 2, var 1; channel 1: {10, 30} -> mean 20, var 100. gamma 1, beta 0, epsilon 1e-3.
        var layer = new BatchNormalization();
        Tensor input = Tensor.FromArray([1, 10, 3, 30], 2, 2);

        Tensor output = layer.Forward(input, training: true);

        float a = 1f / MathF.Sqrt(1f + 1e-3f), b = 10f / MathF.Sqrt(100f + 1e-3f);
        Assert.Equal(new float[] { -a, -b, a, b }, output.ToArray(), new Tolerance(1e-6f));
    }

    [Fact]
    public void ForwardTraining_OneBatch_UpdatesMovingStatisticsWithMomentum()
    {
        var layer = new BatchNormalization(momentum: 0.9f);
        Tensor input = Tensor.FromArray([1, 10, 3, 30], 2, 2);

        layer.Forward(input, training: true);

        // moving = moving * 0.9 + batch * 0.1, starting from mean 0 and variance 1; the batch variance is biased.
        Assert.Equal(new float[] { 0.2f, 2f }, layer.MovingMean.Value.ToArray(), new Tolerance(1e-6f));
        Assert.Equal(new float[] { 1f, 10.9f }, layer.MovingVariance.Value.ToArray(), new Tolerance(1e-5f));
    }

    [Fact]
    public void ForwardInference_UsesMovingStatistics()
    {
        var layer = new BatchNormalization();
        layer.Build(new TensorShape(2, 2, 2));
        Set(layer.MovingMean, 1f, -2f);
        Set(layer.MovingVariance, 4f, 0.25f);
        Set(layer.Gamma!, 2f, 3f);
        Set(layer.Beta!, 0.5f, -0.5f);
        Tensor input = Tensor.RandomNormal(new TensorShape(3, 2, 2, 2), 4);

        float[] output = layer.Forward(input, training: false).ToArray();

        float[] x = input.ToArray();
        float[] expected = x.Select((v, i) => i % 2 == 0
            ? (2f * (v - 1f) / MathF.Sqrt(4f + 1e-3f)) + 0.5f
            : (3f * (v + 2f) / MathF.Sqrt(0.25f + 1e-3f)) - 0.5f).ToArray();
        Assert.Equal(expected, output, new Tolerance(1e-5f));
        Assert.Equal(new float[] { 1f, -2f }, layer.MovingMean.Value.ToArray());
    }

    [Property(Replay = Seed, MaxTest = 40)]
    public void BackwardTraining_RandomShape_MatchesNumericalGradient(long seed)
    {
        var random = new SeededRandom(seed);
        int rank = random.NextInt(3) + 1;
        int[] dims = [random.NextInt(4) + 2, .. Enumerable.Range(0, rank).Select(_ => random.NextInt(3) + 1)];
        var layer = new BatchNormalization(center: random.NextInt(4) != 0, scale: random.NextInt(4) != 0);
        layer.Build(new TensorShape(dims[1..]));
        if (layer.Gamma is { } gamma)
        {
            Tensor.RandomUniform(gamma.Shape, seed + 1, 0.5f, 2f).CopyTo(gamma.Value);
        }

        Tensor input = Tensor.RandomNormal(new TensorShape(dims), seed + 2, 1f, 2f);

        GradientChecker.CheckLayer(layer, input, seed, training: true).AssertPassed();
    }

    [Fact]
    public void ForwardTraining_Masked_StatisticsSkipPaddingAsKeras()
    {
        // (1 sample, 3 steps, 1 channel) = {1, 2, 100} with the last step padding: Keras 3's masked moments give mean 1.5
        // and variance 0.25, and every step, padding included, is normalized with them; the mask passes on.
        var layer = new BatchNormalization(momentum: 0.9f);
        Tensor input = Tensor.FromArray([1, 2, 100], 1, 3, 1);
        Tensor mask = Tensor.FromArray([1, 1, 0], 1, 3);

        Tensor output = layer.Forward(input, mask, training: true);

        float s = 1f / MathF.Sqrt(0.25f + 1e-3f);
        Assert.Equal(new float[] { -0.5f * s, 0.5f * s, 98.5f * s }, output.ToArray(), new Tolerance(1e-5f));
        Assert.Equal(new float[] { 0.15f }, layer.MovingMean.Value.ToArray(), new Tolerance(1e-6f));
        Assert.Equal(new float[] { 0.925f }, layer.MovingVariance.Value.ToArray(), new Tolerance(1e-6f));
        Assert.Same(mask, layer.OutputMask);

        // Inference ignores the mask: the moving statistics serve every position.
        Tensor inference = new BatchNormalization().Forward(input, mask, training: false);
        Assert.Equal(input.ToArray().Select(v => v / MathF.Sqrt(1f + 1e-3f)).ToArray(), inference.ToArray(), new Tolerance(1e-5f));
    }

    [Property(Replay = Seed, MaxTest = 30)]
    public void BackwardTraining_Masked_MatchesNumericalGradient(long seed)
    {
        var random = new SeededRandom(seed);
        int batch = random.NextInt(3) + 1, steps = random.NextInt(4) + 2, channels = random.NextInt(3) + 1;
        var layer = new BatchNormalization(center: random.NextInt(4) != 0, scale: random.NextInt(4) != 0);
        layer.Build(new TensorShape(steps, channels));
        if (layer.Gamma is { } gamma)
        {
            Tensor.RandomUniform(gamma.Shape, seed + 1, 0.5f, 2f).CopyTo(gamma.Value);
        }

        Tensor input = Tensor.RandomNormal(new TensorShape(batch, steps, channels), seed + 2, 1f, 2f);

        // At least two real steps, so that the masked variance is not zero (a zero variance makes the gradient 1/sqrt(eps)-steep).
        float[] maskValues = Enumerable.Range(0, batch * steps).Select(i => i < 2 || random.NextInt(3) != 0 ? 1f : 0f).ToArray();
        Tensor mask = Tensor.FromArray(maskValues, batch, steps);

        GradientChecker.CheckLayer(layer, input, seed, training: true, mask: mask).AssertPassed();
    }

    [Property(Replay = Seed, MaxTest = 20)]
    public void BackwardInference_RandomShape_MatchesNumericalGradient(long seed)
    {
        var layer = new BatchNormalization();
        layer.Build(new TensorShape(3, 4));
        Tensor.RandomUniform(layer.MovingVariance.Shape, seed, 0.5f, 2f).CopyTo(layer.MovingVariance.Value);
        Tensor.RandomNormal(layer.MovingMean.Shape, seed + 1).CopyTo(layer.MovingMean.Value);
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 3, 4), seed + 2);

        GradientChecker.CheckLayer(layer, input, seed, training: false).AssertPassed();
    }

    [Fact]
    public void ForwardInference_KeepsNoXhat_AndBackwardAfterItEqualsTheTrainingFormula()
    {
        var layer = new BatchNormalization();
        layer.Build(new TensorShape(5, 20));
        Tensor.RandomUniform(layer.MovingVariance.Shape, 1, 0.5f, 2f).CopyTo(layer.MovingVariance.Value);
        Tensor.RandomNormal(layer.MovingMean.Shape, 2).CopyTo(layer.MovingMean.Value);
        Tensor.RandomUniform(layer.Gamma!.Shape, 3, 0.5f, 2f).CopyTo(layer.Gamma.Value);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 5, 20), 4), g = Tensor.RandomNormal(new TensorShape(3, 5, 20), 5);

        layer.Forward(x, training: false);
        Assert.Equal(0, layer.KeptXhatLength);

        // Fixed statistics: dx = gamma·invStd·dy, dgamma = Σ dy·xhat, dbeta = Σ dy, xhat from the moving statistics.
        float[] dx = layer.Backward(g).ToArray();
        float[] xs = x.ToArray(), gs = g.ToArray(), gamma = layer.Gamma.Value.ToArray(), mean = layer.MovingMean.Value.ToArray(), variance = layer.MovingVariance.Value.ToArray();
        var dGamma = new double[20];
        for (int i = 0; i < xs.Length; i++)
        {
            int c = i % 20;
            double invStd = 1 / Math.Sqrt(variance[c] + 1e-3);
            dGamma[c] += gs[i] * (xs[i] - mean[c]) * invStd;
            Assert.Equal(gamma[c] * invStd * gs[i], dx[i], 1e-5);
        }

        float[] actual = layer.Gamma.Gradient.ToArray();
        for (int c = 0; c < 20; c++)
        {
            Assert.Equal(dGamma[c], actual[c], 1e-4);
        }

        // A training call keeps it; a later inference call does not write it (the buffer stays, unread).
        layer.Forward(x, training: true);
        Assert.Equal(300, layer.KeptXhatLength);
    }

    [Fact]
    public void Build_FourChannels_HasTwoTrainableAndTwoMovingParameters()
    {
        var layer = new BatchNormalization();
        layer.Build(new TensorShape(5, 5, 4));

        Assert.Equal(new[] { "gamma", "beta", "moving_mean", "moving_variance" }, layer.Parameters.Select(p => p.Name));
        Assert.Equal(16, layer.ParameterCount);
        Assert.Equal(8, layer.TrainableParameterCount);
        Assert.Equal(new float[] { 1, 1, 1, 1 }, layer.MovingVariance.Value.ToArray());
        Assert.Equal("batch_normalization", layer.DefaultNamePrefix);
    }

    [Theory]
    [InlineData(-0.1f, 1e-3f, "momentum")]
    [InlineData(1.5f, 1e-3f, "momentum")]
    [InlineData(0.99f, 0f, "epsilon")]
    public void Constructor_BadSetting_ThrowsNamingIt(float momentum, float epsilon, string parameter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNormalization(momentum, epsilon));
        Assert.Equal(parameter, e.ParamName);
    }

    [Fact]
    public void A_wide_layer_allocates_nothing_per_training_step_once_warm()
    {
        // 1024 channels: more than the kernel's sums could once keep on the stack.
        var layer = new BatchNormalization();
        layer.Build(new TensorShape(1024));
        Tensor input = Tensor.RandomNormal(new TensorShape(16, 1024), 3);
        Tensor gradient = Tensor.RandomNormal(new TensorShape(16, 1024), 4);
        layer.Forward(input, training: true);
        layer.Backward(gradient);

        AllocationCheck.AssertNone(() =>
        {
            layer.Forward(input, training: true);
            layer.Backward(gradient);
        });
    }

    private static void Set(Parameter parameter, params float[] values) => values.CopyTo(parameter.Value.AsSpan());
}
