using FsCheck.Xunit;
using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Convolutional;
using Xunit;

namespace NeuralNet.Tests.Layers;

// The patch-matrix budget of Conv1D, Conv3D and the transposed convolutions' backward pass (PatchChunks; Conv2D's own
// tests are Conv2DChunkedTests): past the budget a layer keeps no batch patch matrix and packs its rows a chunk at a time.
// A budget of one byte makes every chunk one GEMM depth block (128 patch rows), so small shapes run many chunks, most of
// them starting and ending inside a sample.
public class PatchBudgetTests
{
    private const string Seed = "(5520417,29)";

    private static readonly ActivationFunction?[] s_activations = [null, ActivationFunction.Relu, ActivationFunction.Tanh];

    public enum Kind
    {
        Conv1D,
        Conv3D,
        Conv1DTranspose,
        Conv2DTranspose,
        Conv3DTranspose,
    }

    // A random layer of the kind (strides or dilation, every padding) and its input, with more than two depth blocks of
    // patch rows; Make(budget) builds a new copy with the same weights.
    private static (Func<long, Layer> Make, Tensor Input) RandomCase(Kind kind, long seed, bool smooth = false)
    {
        var random = new SeededRandom(seed);
        while (true)
        {
            (Func<long, Layer> make, Tensor input) = Draw(kind, seed, random, smooth);
            if (Matrix(make(PatchChunks.DefaultBudgetBytes), input).Rows > 2 * Gemm.DepthBlock)
            {
                return (make, input);
            }
        }
    }

    private static (Func<long, Layer> Make, Tensor Input) Draw(Kind kind, long seed, SeededRandom random, bool smooth)
    {
        ActivationFunction? activation = s_activations[random.NextInt(s_activations.Length)];
        if (smooth && activation is Relu)
        {
            activation = ActivationFunction.Tanh;
        }

        bool useBias = random.NextInt(4) != 0, dilated = random.NextInt(2) == 0;
        int batch = random.NextInt(3) + 2, filters = random.NextInt(6) + 1, channels = random.NextInt(5) + 1;
        int stride = dilated ? 1 : random.NextInt(2) + 1, dilation = dilated ? random.NextInt(2) + 2 : 1;
        var bias = new RandomNormal(0, 0.5, seed + 3);
        Func<Layer> create;
        TensorShape sample;
        switch (kind)
        {
            case Kind.Conv1D:
            {
                int kernel = random.NextInt(5) + 1, steps = random.NextInt(120) + 60;
                Padding padding = random.NextInt(3) switch { 0 => Padding.Valid, 1 => Padding.Same, _ => Padding.Causal };
                sample = new TensorShape(steps, channels + 8);
                create = () => new Conv1D(filters, kernel, stride, padding, dilation, activation, useBias, biasInitializer: bias, name: "conv1d");
                break;
            }

            case Kind.Conv3D:
            {
                int kernel = random.NextInt(3) + 1;
                Padding padding = random.NextInt(2) == 0 ? Padding.Valid : Padding.Same;
                sample = new TensorShape(random.NextInt(3) + 7, random.NextInt(3) + 7, random.NextInt(3) + 7, channels);
                create = () => new Conv3D(filters, kernel, stride, padding, dilation, activation, useBias, biasInitializer: bias, name: "conv3d");
                break;
            }

            case Kind.Conv1DTranspose:
            {
                int kernel = random.NextInt(5) + 1, steps = random.NextInt(80) + 20;
                Padding padding = random.NextInt(2) == 0 ? Padding.Valid : Padding.Same;
                sample = new TensorShape(steps, channels);
                create = () => new Conv1DTranspose(filters, kernel, stride, padding, dilationRate: dilation, activation: activation, useBias: useBias,
                    biasInitializer: bias, name: "conv1d_transpose");
                break;
            }

            case Kind.Conv2DTranspose:
            {
                (int, int) kernel = (random.NextInt(4) + 1, random.NextInt(3) + 1);
                Padding padding = random.NextInt(2) == 0 ? Padding.Valid : Padding.Same;
                sample = new TensorShape(random.NextInt(8) + 5, random.NextInt(8) + 5, channels);
                create = () => new Conv2DTranspose(filters, kernel, (stride, stride), padding, dilationRate: (dilation, dilation), activation: activation,
                    useBias: useBias, biasInitializer: bias, name: "conv2d_transpose");
                break;
            }

            default:
            {
                int kernel = random.NextInt(3) + 1;
                Padding padding = random.NextInt(2) == 0 ? Padding.Valid : Padding.Same;
                sample = new TensorShape(random.NextInt(3) + 4, random.NextInt(3) + 4, random.NextInt(3) + 4, channels);
                create = () => new Conv3DTranspose(filters, kernel, stride, padding, dilationRate: dilation, activation: activation, useBias: useBias,
                    biasInitializer: bias, name: "conv3d_transpose");
                break;
            }
        }

        Layer Make(long budget)
        {
            Layer layer = create();
            layer.Seed = seed;
            SetBudget(layer, budget);
            layer.Build(sample);
            return layer;
        }

        return (Make, Tensor.RandomNormal(sample.Prepend(batch), seed + 1));
    }

    private static void SetBudget(Layer layer, long budget)
    {
        switch (layer)
        {
            case Conv1D c: c.ColumnsBudgetBytes = budget; break;
            case Conv3D c: c.ColumnsBudgetBytes = budget; break;
            case Conv1DTranspose c: c.ColumnsBudgetBytes = budget; break;
            case Conv2DTranspose c: c.ColumnsBudgetBytes = budget; break;
            case Conv3DTranspose c: c.ColumnsBudgetBytes = budget; break;
            default: throw new ArgumentException($"{layer.GetType().Name} has no patch budget.", nameof(layer));
        }
    }

    private static (int Kept, int Chunk) Buffers(Layer layer) => layer switch
    {
        Conv1D c => (c.KeptColumnsLength, c.ChunkColumnsLength),
        Conv3D c => (c.KeptColumnsLength, c.ChunkColumnsLength),
        Conv1DTranspose c => (c.KeptColumnsLength, c.ChunkColumnsLength),
        Conv2DTranspose c => (c.KeptColumnsLength, c.ChunkColumnsLength),
        Conv3DTranspose c => (c.KeptColumnsLength, c.ChunkColumnsLength),
        _ => throw new ArgumentException($"{layer.GetType().Name} has no patch budget.", nameof(layer)),
    };

    // Patch rows and values per row of the batch's matrix: the layer's output positions (a transposed convolution's:
    // its input positions) by kernel taps times input channels (transposed: filters).
    private static (int Rows, int Patch) Matrix(Layer layer, Tensor input)
    {
        int[] kernel = layer.Parameters[0].Shape.Dimensions.ToArray(), sample = input.Shape.Dimensions.ToArray()[1..];
        int taps = kernel[..^2].Aggregate(1, (a, b) => a * b);
        bool transposed = layer is Conv1DTranspose or Conv2DTranspose or Conv3DTranspose;
        int positions = transposed
            ? sample[..^1].Aggregate(1, (a, b) => a * b)
            : layer.OutputShape.Dimensions.ToArray()[..^1].Aggregate(1, (a, b) => a * b);
        return (input.Shape[0] * positions, taps * kernel[^2]);
    }

    // Two training steps (the second accumulating onto the first's gradients): output, input gradient and every parameter
    // gradient. The chunked copy's forward passes run in inference mode when asked: a backward pass after one (a saliency
    // map) takes the same chunks.
    private static float[] TrainTwice(Layer layer, Tensor input, long seed, bool training = true)
    {
        Tensor upstream = Tensor.RandomNormal(new TensorShape([input.Shape[0], .. layer.OutputShape.Dimensions]), seed + 2);
        float[] y = layer.Forward(input, training).ToArray();
        layer.Backward(upstream);
        layer.Forward(input, training);
        float[] dx = layer.Backward(upstream).ToArray();
        return [.. y, .. dx, .. layer.Parameters.SelectMany(p => p.Gradient.ToArray())];
    }

    [Property(Replay = Seed, MaxTest = 100)]
    public void TrainingStep_PastBudget_SameBitsAsKeptPatchMatrix(long seed)
    {
        var kind = (Kind)(int)((ulong)seed % 5);
        (Func<long, Layer> make, Tensor input) = RandomCase(kind, seed);
        Layer kept = make(PatchChunks.DefaultBudgetBytes), chunked = make(1);

        float[] expected = TrainTwice(kept, input, seed), actual = TrainTwice(chunked, input, seed, training: seed % 3 != 0);

        Assert.Equal(expected, actual);
        (int rows, int patch) = Matrix(kept, input);
        Assert.True(rows > Gemm.DepthBlock, $"{rows} patch rows: one chunk only"); // the cases are large enough for several chunks
        Assert.Equal((rows * patch, 0), Buffers(kept));
        // One depth block per chunk; a transposed convolution's forward pass keeps one sample's matrix, the others none.
        int sampleMatrix = kind is Kind.Conv1D or Kind.Conv3D ? 0 : rows / input.Shape[0] * patch;
        Assert.Equal((sampleMatrix, Gemm.DepthBlock * patch), Buffers(chunked));
    }

    // Without ReLU: a central difference moves outputs across its kink (Conv2DChunkedTests has the same restriction).
    [Property(Replay = Seed, MaxTest = 25)]
    public void Backward_PastBudget_MatchesNumericalGradient(long seed)
    {
        var kind = (Kind)(int)((ulong)seed % 5);
        (Func<long, Layer> make, Tensor input) = RandomCase(kind, seed, smooth: true);
        Layer layer = make(1);

        GradientCheckReport report = GradientChecker.CheckLayer(layer, input, seed, training: true);

        report.AssertPassed();
        Assert.True(Buffers(layer).Chunk > 0);
    }

    [Theory]
    [InlineData(Kind.Conv1D)]
    [InlineData(Kind.Conv3D)]
    [InlineData(Kind.Conv1DTranspose)]
    [InlineData(Kind.Conv2DTranspose)]
    [InlineData(Kind.Conv3DTranspose)]
    public void TrainingStep_PastBudget_AllocatesNothingAfterWarmUp(Kind kind)
    {
        (Func<long, Layer> make, Tensor input) = RandomCase(kind, 40 + (int)kind);
        Layer layer = make(1);

        ConvolutionTestKit.AssertStepAllocatesNothing(layer, input);

        Assert.True(Buffers(layer).Chunk > 0);
    }

    // Chunks large enough for the GEMM to split them over threads (past its 2^25 multiply-adds), the last one too small to:
    // Conv2DTranspose: 1,568 patch rows of 512 (4x4 taps, 32 filters), chunks of 1,024 rows: 512 x 64 x 1,024 = 2^25;
    // Conv1D: 2,400 patch rows of 672 (7 taps, 96 channels), chunks of 1,152 rows: 672 x 64 x 1,152 multiply-adds.
    [Theory]
    [InlineData(Kind.Conv2DTranspose)]
    [InlineData(Kind.Conv1D)]
    public void TrainingStep_PastBudget_SameBitsOnOneThreadOrMany(Kind kind)
    {
        bool transposed = kind == Kind.Conv2DTranspose;
        TensorShape sample = transposed ? new TensorShape(14, 14, 64) : new TensorShape(300, 96);
        long budget = transposed ? 2L << 20 : 3L << 20;
        Tensor input = Tensor.RandomNormal(sample.Prepend(8), 81);

        Layer Make(long b)
        {
            Layer layer = transposed
                ? new Conv2DTranspose(32, 4, 2, Padding.Same, activation: ActivationFunction.Relu)
                : new Conv1D(64, 7, padding: Padding.Same, activation: ActivationFunction.Relu);
            layer.Seed = 8;
            SetBudget(layer, b);
            layer.Build(sample);
            return layer;
        }

        float[] Run(Layer layer, int threads)
        {
            int saved = ConvParallel.DegreeOfParallelism, savedGemm = Parallelism.MaxDegreeOfParallelism;
            try
            {
                ConvParallel.DegreeOfParallelism = threads;
                Parallelism.MaxDegreeOfParallelism = threads;
                foreach (Parameter p in layer.Parameters)
                {
                    p.ZeroGradient();
                }

                return TrainTwice(layer, input, 82);
            }
            finally
            {
                ConvParallel.DegreeOfParallelism = saved;
                Parallelism.MaxDegreeOfParallelism = savedGemm;
            }
        }

        Layer chunked = Make(budget);
        float[] one = Run(chunked, 1);

        Assert.Equal(one, Run(chunked, Math.Max(2, Environment.ProcessorCount)));
        Assert.Equal(one, Run(Make(PatchChunks.DefaultBudgetBytes), 1));
        (int rows, int patch) = Matrix(chunked, input);
        Assert.Equal((transposed ? 1024 : 1152) * patch, Buffers(chunked).Chunk);
        Assert.True(rows > Buffers(chunked).Chunk / patch);
    }

    [Fact]
    public void Conv2DTranspose_DefaultBudget_ChunksOnlyPastIt()
    {
        // 64 filters of 4x4 on one channel: 1,024 values per patch row, 784 rows per sample (3.2 MB). A batch of 24
        // (77.1 MB) passes 64 MiB, one of 8 (25.7 MB) keeps its matrix.
        var layer = new Conv2DTranspose(64, 4, 2, Padding.Same) { Seed = 4 };
        layer.Build(new TensorShape(28, 28, 1));

        void Step(int batch)
        {
            layer.Forward(Tensor.RandomNormal(new TensorShape(batch, 28, 28, 1), batch), training: true);
            layer.Backward(Tensor.RandomNormal(new TensorShape(batch, 56, 56, 64), batch + 1));
        }

        Step(24);
        Assert.Equal(784 * 1024, layer.KeptColumnsLength); // the forward pass's one sample
        Assert.Equal(16384 * 1024, layer.ChunkColumnsLength); // 64 MiB / 4,096 bytes = 16,384 rows, 128 depth blocks
        Step(8);
        Assert.Equal(8 * 784 * 1024, layer.KeptColumnsLength);
    }
}
