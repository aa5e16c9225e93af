using FsCheck.Xunit;
using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Convolutional;
using Xunit;

namespace NeuralNet.Tests.Layers;

// Conv2D past its patch-matrix budget (Conv2D.Chunked.cs): training keeps no batch matrix and the backward pass packs the
// patch rows a chunk at a time. A budget of one byte makes every chunk one GEMM depth block (128 patch rows), so small
// shapes run many chunks, most of them starting and ending inside an image.
public class Conv2DChunkedTests
{
    private const string Seed = "(7340129,31)";

    private static readonly ActivationFunction?[] s_activations = [null, ActivationFunction.Relu, ActivationFunction.Tanh];

    // A random convolution for the im2col + GEMM paths: 9 to 12 channels (past the few-filter kernel's 8) and filter counts
    // that are no multiple of a vector (past the direct kernel); plain (strides 1-2) or general (dilation 2-3 or groups).
    private static (Conv2D Layer, Tensor Input) RandomCase(long seed, long budget, bool smooth = false)
    {
        var random = new SeededRandom(seed);
        while (true)
        {
            int h = random.NextInt(8) + 5, w = random.NextInt(8) + 5, batch = random.NextInt(3) + 2;
            int kind = random.NextInt(3);
            int groups = kind == 2 ? 3 : 1, channels = groups * (random.NextInt(2) + 3);
            if (groups == 1)
            {
                channels = random.NextInt(4) + 9;
            }

            int[] filterChoices = groups == 1 ? [1, 2, 3, 5, 6, 7, 9, 10] : [3, 6, 9];
            int filters = filterChoices[random.NextInt(filterChoices.Length)];
            int kh = random.NextInt(3) + 1, kw = random.NextInt(4) + 1;
            (int, int) strides = kind == 0 ? (random.NextInt(2) + 1, random.NextInt(2) + 1) : (1, 1);
            (int, int) dilation = kind == 1 ? (random.NextInt(2) + 2, random.NextInt(3) + 1) : (1, 1);
            Padding padding = random.NextInt(2) == 0 ? Padding.Valid : Padding.Same;
            if (padding == Padding.Valid && ((((kh - 1) * dilation.Item1) + 1) > h || (((kw - 1) * dilation.Item2) + 1) > w))
            {
                continue;
            }

            ActivationFunction? activation = s_activations[random.NextInt(s_activations.Length)];
            if (smooth && activation is Relu)
            {
                activation = ActivationFunction.Tanh;
            }

            var layer = new Conv2D(filters, (kh, kw), strides, padding, dilation, groups, activation,
                useBias: random.NextInt(4) != 0, biasInitializer: new RandomNormal(0, 0.5, seed + 3), name: "conv2d")
            { Seed = seed, ColumnsBudgetBytes = budget };
            layer.Build(new TensorShape(h, w, channels));
            return (layer, Tensor.RandomNormal(new TensorShape(batch, h, w, channels), seed + 1));
        }
    }

    // Two training steps (the second accumulating onto the first's gradients): output, input gradient, kernel and bias gradients.
    private static float[] TrainTwice(Conv2D layer, Tensor input, long seed)
    {
        Tensor upstream = Tensor.RandomNormal(new TensorShape([input.Shape[0], .. layer.OutputShape.Dimensions]), seed + 2);
        float[] y = layer.Forward(input, training: true).ToArray();
        layer.Backward(upstream);
        layer.Forward(input, training: true);
        float[] dx = layer.Backward(upstream).ToArray();
        return [.. y, .. dx, .. layer.Kernel.Gradient.ToArray(), .. layer.Bias?.Gradient.ToArray() ?? []];
    }

    [Property(Replay = Seed, MaxTest = 60)]
    public void TrainingStep_PastBudget_SameBitsAsKeptPatchMatrix(long seed)
    {
        (Conv2D kept, Tensor input) = RandomCase(seed, Conv2D.DefaultColumnsBudgetBytes);
        (Conv2D chunked, _) = RandomCase(seed, budget: 1);

        float[] expected = TrainTwice(kept, input, seed), actual = TrainTwice(chunked, input, seed);

        Assert.Equal(expected, actual);
        Assert.Equal(0, kept.ChunkColumnsLength);
        Assert.Equal(0, chunked.KeptColumnsLength);
        int patch = kept.Kernel.Shape[0] * kept.Kernel.Shape[1] * kept.Kernel.Shape[2], rows = input.Shape[0] * kept.OutputShape[0] * kept.OutputShape[1];
        Assert.Equal(Gemm.DepthBlock * patch, chunked.ChunkColumnsLength); // one depth block per chunk
        if (kept.Groups == 1 && kept.DilationRate == (1, 1))
        {
            Assert.Equal(rows * patch, kept.KeptColumnsLength); // the case did run im2col + GEMM, not a direct kernel
        }
    }

    // Without ReLU: with up to 144 patch values a central difference of 1e-3 on a kernel entry moves many outputs across
    // ReLU's kink at once (a first run found one such entry at seed -1); the property above covers ReLU bit for bit.
    [Property(Replay = Seed, MaxTest = 20)]
    public void Backward_PastBudget_MatchesNumericalGradient(long seed)
    {
        (Conv2D layer, Tensor input) = RandomCase(seed, budget: 1, smooth: true);

        GradientCheckReport report = GradientChecker.CheckLayer(layer, input, seed, training: true);

        report.AssertPassed(maxKinkFraction: 0.1);
        Assert.True(layer.ChunkColumnsLength > 0);
    }

    [Fact]
    public void BackwardAfterInference_PastBudget_SameBitsAsTraining()
    {
        // A gradient with respect to the input of a model run with training: false (a saliency map) packs by chunks too.
        (Conv2D trained, Tensor input) = RandomCase(11, budget: 1);
        (Conv2D inferred, _) = RandomCase(11, budget: 1);
        Tensor upstream = Tensor.RandomNormal(new TensorShape([input.Shape[0], .. trained.OutputShape.Dimensions]), 12);

        Assert.Equal(trained.Forward(input, training: true).ToArray(), inferred.Forward(input, training: false).ToArray());
        Assert.Equal(trained.Backward(upstream).ToArray(), inferred.Backward(upstream).ToArray());
        Assert.Equal(trained.Kernel.Gradient.ToArray(), inferred.Kernel.Gradient.ToArray());
    }

    [Fact]
    public void TrainingStep_PastBudget_SameBitsOnOneThreadOrMany()
    {
        // Large enough for the GEMM to split chunks of 1,408 patch rows (11 depth blocks) over threads: 1,568 x 16 x 1,408
        // multiply-adds pass its parallel threshold of 2^25; the third chunk (320 rows) stays on one thread.
        var conv = new Conv2D(16, 7, padding: Padding.Same, activation: ActivationFunction.Relu) { Seed = 8, ColumnsBudgetBytes = 9L << 20 };
        conv.Build(new TensorShape(28, 28, 32));
        Tensor input = Tensor.RandomNormal(new TensorShape(4, 28, 28, 32), 81);
        var reference = new Conv2D(16, 7, padding: Padding.Same, activation: ActivationFunction.Relu) { Seed = 8 };
        reference.Build(new TensorShape(28, 28, 32));

        float[] Run(Conv2D layer, int threads)
        {
            int saved = ConvParallel.DegreeOfParallelism, savedGemm = Parallelism.MaxDegreeOfParallelism;
            try
            {
                ConvParallel.DegreeOfParallelism = threads;
                Parallelism.MaxDegreeOfParallelism = threads;
                layer.Kernel.ZeroGradient();
                layer.Bias!.ZeroGradient();
                return TrainTwice(layer, input, 82);
            }
            finally
            {
                ConvParallel.DegreeOfParallelism = saved;
                Parallelism.MaxDegreeOfParallelism = savedGemm;
            }
        }

        float[] one = Run(conv, 1);

        Assert.Equal(one, Run(conv, Math.Max(2, Environment.ProcessorCount)));
        Assert.Equal(one, Run(reference, 1));
        Assert.Equal(0, conv.KeptColumnsLength);
        Assert.Equal(1408 * 7 * 7 * 32, conv.ChunkColumnsLength);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(1, 3)]
    public void TrainingStep_PastBudget_AllocatesNothingAfterWarmUp(int dilation, int groups)
    {
        var conv = new Conv2D(6, 3, padding: Padding.Same, dilationRate: dilation, groups: groups, activation: ActivationFunction.Tanh) { Seed = 2, ColumnsBudgetBytes = 1 };
        conv.Build(new TensorShape(9, 10, 12));

        ConvolutionTestKit.AssertStepAllocatesNothing(conv, Tensor.RandomNormal(new TensorShape(3, 9, 10, 12), 3));

        Assert.True(conv.ChunkColumnsLength > 0);
    }

    [Fact]
    public void ConditionalGanLastLayer_DefaultBudget_KeepsNoBatchMatrix()
    {
        // keras.io's conditional GAN: the generator ends in Conv2D(1, 7, same) on (28, 28, 128); at batch 64 the batch's
        // patch matrix is 50,176 x 6,272 floats (1.26 GB). A batch of 4 already passes the 64 MiB budget (78.7 MB);
        // one of 2 (39.3 MB) keeps it.
        var conv = new Conv2D(1, 7, padding: Padding.Same, activation: ActivationFunction.Sigmoid) { Seed = 5 };
        conv.Build(new TensorShape(28, 28, 128));
        Tensor upstream = Tensor.RandomNormal(new TensorShape(4, 28, 28, 1), 6);

        conv.Forward(Tensor.RandomNormal(new TensorShape(4, 28, 28, 128), 7), training: true);
        conv.Backward(upstream);

        Assert.Equal(0, conv.KeptColumnsLength);
        Assert.Equal(2560 * 6272, conv.ChunkColumnsLength); // 64 MiB / (6,272 x 4 bytes) = 2,674 rows, 20 depth blocks
        conv.Forward(Tensor.RandomNormal(new TensorShape(2, 28, 28, 128), 8), training: true);
        Assert.Equal(2 * 784 * 6272, conv.KeptColumnsLength);
    }
}
