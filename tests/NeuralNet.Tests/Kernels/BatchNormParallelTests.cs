using NeuralNet.Kernels;
using NeuralNet.Layers;
using Xunit;

namespace NeuralNet.Tests.Kernels;

/// <summary>
/// BatchNorm's many-channel passes on the worker pool: every output (statistics, xhat, y, dgamma, dbeta, dx) has the same
/// bits on 1, 2, 3 and 4 threads, for inputs past <see cref="BatchNormParallel.ParallelValues"/>, channel counts with a
/// tail past a 16-channel block and past a vector, masked or not, and in the layer's training step.
/// </summary>
public class BatchNormParallelTests
{
    public static TheoryData<int, int, bool> Shapes() => new()
    {
        { 64, 600, false },
        { 64, 600, true },
        { 100, 400, false },
        { 17, 2000, true },
        { 300, 120, false },
        { 3, 12000, true }, // few channels with a mask take these passes too
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AllPasses_OneToFourThreads_SameBits(int channels, int rows, bool masked)
    {
        Assert.True(rows * channels >= BatchNormParallel.ParallelValues);
        float[] x = Data(rows * channels, seed: channels + rows, offset: 2f), dy = Data(rows * channels, seed: rows, offset: -0.25f);
        float[] gamma = Data(channels, seed: 5, offset: 1f), beta = Data(channels, seed: 6, offset: 0f);
        float[] mask = masked ? [.. Enumerable.Range(0, rows).Select(r => r % 7 == 3 ? 0f : 1f)] : [];

        int[] expected = Pass(1);
        foreach (int threads in new[] { 2, 3, 4 })
        {
            Assert.Equal(expected, Pass(threads));
        }

        int[] Pass(int threads)
        {
            int previous = Parallelism.MaxDegreeOfParallelism;
            Parallelism.MaxDegreeOfParallelism = threads;
            try
            {
                float[] mean = new float[channels], variance = new float[channels], invStd = new float[channels];
                float[] xhat = new float[x.Length], y = new float[x.Length], dx = new float[x.Length];
                float[] dGamma = new float[channels], dBeta = new float[channels];
                float divisor = BatchNorm.Statistics(x, channels, mean, variance, new double[channels], mask);
                BatchNorm.InverseStandardDeviation(variance, 1e-3f, invStd);
                BatchNorm.Normalize(x, mean, invStd, gamma, beta, channels, xhat, y);
                BatchNorm.Backward(dy, xhat, gamma, invStd, channels, batchStatistics: true, dGamma, dBeta, dx, new double[2 * channels], mask, divisor);
                return [.. new[] { mean, variance, xhat, y, dGamma, dBeta, dx }.SelectMany(a => a).Select(BitConverter.SingleToInt32Bits),
                    BitConverter.SingleToInt32Bits(divisor)];
            }
            finally
            {
                Parallelism.MaxDegreeOfParallelism = previous;
            }
        }
    }

    [Fact]
    public void LayerTrainingStep_OneToThreeThreads_SameBits()
    {
        // (8, 28, 28, 64): 401,408 values, every pass split.
        Tensor x = Tensor.RandomNormal(new TensorShape(8, 28, 28, 64), seed: 3, 1f, 2f);
        Tensor g = Tensor.RandomNormal(new TensorShape(8, 28, 28, 64), seed: 4);
        int[] expected = Step(1);
        Assert.Equal(expected, Step(2));
        Assert.Equal(expected, Step(3));

        int[] Step(int threads)
        {
            int previous = Parallelism.MaxDegreeOfParallelism;
            Parallelism.MaxDegreeOfParallelism = threads;
            try
            {
                var layer = new BatchNormalization();
                layer.Build(new TensorShape(28, 28, 64));
                Tensor.RandomUniform(layer.Gamma!.Shape, 5, 0.5f, 2f).CopyTo(layer.Gamma.Value);
                float[] y = layer.Forward(x, training: true).ToArray(), dx = layer.Backward(g).ToArray();
                float[] inference = layer.Forward(x, training: false).ToArray();
                return [.. new[] { y, dx, inference, layer.Gamma.Gradient.ToArray(), layer.Beta!.Gradient.ToArray(), layer.MovingMean.Value.ToArray(),
                    layer.MovingVariance.Value.ToArray() }.SelectMany(a => a).Select(BitConverter.SingleToInt32Bits)];
            }
            finally
            {
                Parallelism.MaxDegreeOfParallelism = previous;
            }
        }
    }

    private static float[] Data(int length, int seed, float offset)
    {
        var random = new SeededRandom(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (random.NextNormal() * 1.5f) + offset)];
    }
}
