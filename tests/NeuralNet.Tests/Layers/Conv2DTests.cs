using FsCheck.Xunit;
using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Regularizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

public class Conv2DTests
{
    private const string Seed = "(5550123,29)";

    private static readonly ActivationFunction?[] s_activations = [null, ActivationFunction.Relu, ActivationFunction.Tanh, ActivationFunction.Sigmoid];

    // A random small convolution: input (batch, h, w, c), kernel up to 3x3, strides 1-2, either padding. Widths up to 18
    // give output rows of one to over two vectors, which the few-filter kernel (4 to 7 filters) needs (ConvFewFilters.Supports).
    private static (Conv2D Layer, Tensor Input) RandomCase(long seed, bool regularize = false)
    {
        var random = new SeededRandom(seed);
        while (true)
        {
            int h = random.NextInt(6) + 1, w = random.NextInt(18) + 1, c = random.NextInt(3) + 1;
            int kh = random.NextInt(3) + 1, kw = random.NextInt(3) + 1, sh = random.NextInt(2) + 1, sw = random.NextInt(2) + 1;
            Padding padding = random.NextInt(2) == 0 ? Padding.Valid : Padding.Same;
            if (padding == Padding.Valid && (kh > h || kw > w))
            {
                continue;
            }

            // Multiples of 8 filters take the direct kernel (small patches, no or ReLU activation), 4 to 7 at horizontal
            // stride 1 the few-filter kernel (ConvFewFilters); others im2col + GEMM.
            int filters = random.NextInt(3) == 0 ? 8 * (random.NextInt(2) + 1) : random.NextInt(7) + 1, batch = random.NextInt(3) + 1;
            ActivationFunction? activation = s_activations[random.NextInt(s_activations.Length)];
            bool useBias = random.NextInt(4) != 0;
            Regularizer? penalty = regularize ? new L2(0.05) : null;
            var layer = new Conv2D(filters, (kh, kw), (sh, sw), padding, activation: activation, useBias: useBias,
                biasInitializer: new RandomNormal(0, 0.5, seed + 3), kernelRegularizer: penalty, biasRegularizer: penalty, name: "conv2d") { Seed = seed };
            layer.Build(new TensorShape(h, w, c));
            return (layer, Tensor.RandomNormal(new TensorShape(batch, h, w, c), seed + 1));
        }
    }

    private static Conv2D E43First(long seed = 3)
    {
        var layer = new Conv2D(32, 3, activation: ActivationFunction.Relu, name: "conv2d") { Seed = seed };
        layer.Build(new TensorShape(28, 28, 1));
        return layer;
    }

    [Property(Replay = Seed, MaxTest = 80)]
    public void Forward_RandomConfiguration_EqualsSevenLoopReference(long seed)
    {
        (Conv2D layer, Tensor input) = RandomCase(seed);
        Assert.True(ConvGeometry.TryCreate(input.Shape[1], input.Shape[2], input.Shape[3], layer.KernelSize.Height, layer.KernelSize.Width,
            layer.Strides.Height, layer.Strides.Width, layer.Padding == Padding.Same, out ConvGeometry g));
        int batch = input.Shape[0];
        float[] expected = new float[batch * g.OutputPixels * layer.Filters];
        Convolution.ForwardReference(input.AsReadOnlySpan(), layer.Kernel.Value.AsReadOnlySpan(),
            layer.Bias is null ? default : layer.Bias.Value.AsReadOnlySpan(), g, layer.Filters, batch, expected);
        layer.Activation?.Forward(expected, expected, layer.Filters);

        Tensor output = layer.Forward(input, training: false);

        Assert.Equal(new TensorShape(batch, g.OutHeight, g.OutWidth, layer.Filters), output.Shape);
        Assert.Equal(expected, output.ToArray(), new Tolerance(1e-4f));
    }

    [Property(Replay = Seed, MaxTest = 60)]
    public void Backward_RandomConfiguration_MatchesNumericalGradient(long seed)
    {
        (Conv2D layer, Tensor input) = RandomCase(seed, regularize: seed % 3 == 0);

        GradientCheckReport report = GradientChecker.CheckLayer(layer, input, seed);

        report.AssertPassed(maxKinkFraction: 0.1);
    }

    [Fact]
    public void Backward_WithoutInputGradient_ReturnsOutputGradientAndSameKernelGradient()
    {
        Conv2D with = E43First(), without = E43First();
        without.ComputesInputGradient = false;
        Tensor input = Tensor.RandomNormal(new TensorShape(3, 28, 28, 1), 11);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(3, 26, 26, 32), 12);
        with.Forward(input, training: true);
        without.Forward(input, training: true);

        Tensor dx = with.Backward(upstream);
        // The model's path (a public Backward call computes the input gradient whatever the flag says).
        Tensor returned = without.BackwardAsPlanned(upstream);

        Assert.Equal(new TensorShape(3, 28, 28, 1), dx.Shape);
        Assert.Same(upstream, returned);
        Assert.Equal(with.Kernel.Gradient.ToArray(), without.Kernel.Gradient.ToArray());
        Assert.Equal(with.Bias!.Gradient.ToArray(), without.Bias!.Gradient.ToArray());
    }

    [Fact]
    public void Backward_InputGradientSwitchedOnAfterForward_MatchesLayerThatAlwaysComputesIt()
    {
        Conv2D always = E43First(), switched = E43First();
        switched.ComputesInputGradient = false;
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 28, 28, 1), 31);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(2, 26, 26, 32), 32);
        always.Forward(input, training: true);
        float[] expected = always.Backward(upstream).ToArray();

        switched.Forward(input, training: true);
        switched.ComputesInputGradient = true;
        float[] actual = switched.Backward(upstream).ToArray();

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Forward_Inference_KeepsNoPatchMatrixAndABackwardAfterItMatchesTraining()
    {
        // im2col + GEMM (64 input channels: 576-value patches, past the direct kernel). Inference packs each group into a
        // per-thread matrix: a batch of large images would otherwise hold gigabytes per layer (a U-Net's first Predict
        // allocated 4.7 GB). A backward pass after an inference pass (a saliency map, say) packs the batch again.
        Conv2D trained = Wide(), inferred = Wide();
        Tensor input = Tensor.RandomNormal(new TensorShape(6, 12, 12, 64), 41);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(6, 12, 12, 16), 42);

        float[] trainingOutput = trained.Forward(input, training: true).ToArray();
        float[] inferenceOutput = inferred.Forward(input, training: false).ToArray();

        Assert.Equal(trainingOutput, inferenceOutput);
        Assert.Equal(0, inferred.KeptColumnsLength);
        Assert.Equal(6 * 144 * 576, trained.KeptColumnsLength);
        Assert.Equal(trained.Backward(upstream).ToArray(), inferred.Backward(upstream).ToArray());
        Assert.Equal(trained.Kernel.Gradient.ToArray(), inferred.Kernel.Gradient.ToArray());
        Assert.Equal(trained.Bias!.Gradient.ToArray(), inferred.Bias!.Gradient.ToArray());

        static Conv2D Wide()
        {
            var layer = new Conv2D(16, 3, padding: Padding.Same, activation: ActivationFunction.Tanh) { Seed = 7 };
            layer.Build(new TensorShape(12, 12, 64));
            return layer;
        }
    }

    [Fact]
    public void Backward_TwoCalls_AccumulatesParameterGradients()
    {
        Conv2D layer = E43First();
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 28, 28, 1), 5);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(2, 26, 26, 32), 6);
        layer.Forward(input, training: true);
        layer.Backward(upstream);
        float[] once = layer.Kernel.Gradient.ToArray(), biasOnce = layer.Bias!.Gradient.ToArray();

        layer.Forward(input, training: true);
        layer.Backward(upstream);

        Tests.Kernels.ConvTestCases.AssertClose(once.Select(v => 2 * v).ToArray(), layer.Kernel.Gradient.ToArray(), 1e-5f);
        Tests.Kernels.ConvTestCases.AssertClose(biasOnce.Select(v => 2 * v).ToArray(), layer.Bias.Gradient.ToArray(), 1e-5f);
    }

    [Fact]
    public void ForwardBackward_ImagesInGroups_SameBitsAsOneImageAtATime()
    {
        // A batch of 10 runs the im2col + GEMM steps on groups of images (a partial group at the end); one image at a
        // time runs groups of one. Outputs and input gradients must not depend on the grouping.
        var layer = new Conv2D(64, 3, activation: ActivationFunction.Relu) { Seed = 7 };
        layer.Build(new TensorShape(13, 13, 32));
        Tensor input = Tensor.RandomNormal(new TensorShape(10, 13, 13, 32), 31);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(10, 11, 11, 64), 32);
        float[] y = layer.Forward(input, training: true).ToArray();
        float[] dx = layer.Backward(upstream).ToArray();
        for (int n = 0; n < 10; n++)
        {
            float[] yOne = layer.Forward(input.Slice(n, 1), training: true).ToArray();
            float[] dxOne = layer.Backward(upstream.Slice(n, 1)).ToArray();
            Assert.Equal(y.AsSpan(n * yOne.Length, yOne.Length).ToArray(), yOne);
            Assert.Equal(dx.AsSpan(n * dxOne.Length, dxOne.Length).ToArray(), dxOne);
        }
    }

    [Fact]
    public void ForwardBackward_OneThreadOrMany_GiveIdenticalBits()
    {
        var second = new Conv2D(64, 3, activation: ActivationFunction.Relu) { Seed = 4 };
        second.Build(new TensorShape(13, 13, 32));
        Tensor input = Tensor.RandomNormal(new TensorShape(16, 13, 13, 32), 21);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(16, 11, 11, 64), 22);

        float[] Run(int threads)
        {
            int saved = ConvParallel.DegreeOfParallelism, savedGemm = Parallelism.MaxDegreeOfParallelism;
            try
            {
                ConvParallel.DegreeOfParallelism = threads;
                Parallelism.MaxDegreeOfParallelism = threads;
                second.Kernel.ZeroGradient();
                second.Bias!.ZeroGradient();
                float[] y = second.Forward(input, training: true).ToArray();
                float[] dx = second.Backward(upstream).ToArray();
                return [.. y, .. dx, .. second.Kernel.Gradient.ToArray(), .. second.Bias.Gradient.ToArray()];
            }
            finally
            {
                ConvParallel.DegreeOfParallelism = saved;
                Parallelism.MaxDegreeOfParallelism = savedGemm;
            }
        }

        float[] one = Run(1), many = Run(Math.Max(2, Environment.ProcessorCount));

        Assert.Equal(one, many);
    }

    [Theory]
    [InlineData(4, "linear")]
    [InlineData(5, "tanh")]
    [InlineData(7, "relu")]
    public void ForwardBackward_FewFilters_SameBitsWhateverTheThreadCountAndInInference(int filters, string activation)
    {
        // 4 to 7 filters take the few-filter kernel (ConvFewFilters): per-image kernel partials summed in image order.
        var conv = new Conv2D(filters, 5, padding: Padding.Same, activation: ActivationFunction.Get(activation)) { Seed = 6 };
        conv.Build(new TensorShape(11, 13, 5));
        Tensor input = Tensor.RandomNormal(new TensorShape(9, 11, 13, 5), 24);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(9, 11, 13, filters), 25);

        float[] Run(int threads, bool training)
        {
            int saved = ConvParallel.DegreeOfParallelism, savedGemm = Parallelism.MaxDegreeOfParallelism;
            try
            {
                ConvParallel.DegreeOfParallelism = threads;
                Parallelism.MaxDegreeOfParallelism = threads;
                conv.Kernel.ZeroGradient();
                conv.Bias!.ZeroGradient();
                float[] y = conv.Forward(input, training).ToArray();
                float[] dx = conv.Backward(upstream).ToArray();
                return [.. y, .. dx, .. conv.Kernel.Gradient.ToArray(), .. conv.Bias.Gradient.ToArray()];
            }
            finally
            {
                ConvParallel.DegreeOfParallelism = saved;
                Parallelism.MaxDegreeOfParallelism = savedGemm;
            }
        }

        float[] one = Run(1, training: true);
        Assert.Equal(one, Run(Math.Max(2, Environment.ProcessorCount), training: true));
        Assert.Equal(one, Run(3, training: false));
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            Assert.Equal(0, conv.KeptColumnsLength); // no patch matrix: the few-filter kernel ran, not im2col + GEMM
        }
    }

    [Fact]
    public void Inference_FewFilters_KeepsNoKernelPartialsAndABackwardAfterItMatchesTraining()
    {
        // 5 filters, 3 channels, 3x3 same on 12-pixel rows: the few-filter kernel, whose per-image kernel partials
        // (batch x 27 x 5 floats) only a backward pass reads.
        var conv = new Conv2D(5, 3, padding: Padding.Same, activation: ActivationFunction.Tanh) { Seed = 8 };
        conv.Build(new TensorShape(9, 12, 3));
        Tensor input = Tensor.RandomNormal(new TensorShape(4, 9, 12, 3), 30);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(4, 9, 12, 5), 31);

        float[] Backward()
        {
            conv.Kernel.ZeroGradient();
            conv.Bias!.ZeroGradient();
            float[] dx = conv.Backward(upstream).ToArray();
            return [.. dx, .. conv.Kernel.Gradient.ToArray(), .. conv.Bias.Gradient.ToArray()];
        }

        float[] inferred = conv.Forward(input, training: false).ToArray();
        Assert.Equal(0, conv.KeptKernelPartialsLength);
        Assert.Equal(0, conv.KeptColumnsLength);
        float[] afterInference = Backward();
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            Assert.Equal(4 * 27 * 5, conv.KeptKernelPartialsLength); // made by the backward pass that reads them
            Assert.Equal(0, conv.KeptColumnsLength);
        }

        Assert.Equal(inferred, conv.Forward(input, training: true).ToArray());
        Assert.Equal(afterInference, Backward());
        Assert.Contains(afterInference, v => v != 0f);
    }

    public static TheoryData<string> SmallOutputActivations => ["tanh", "sigmoid", "gelu", "silu", "elu", "softplus"];

    [Theory]
    [MemberData(nameof(SmallOutputActivations))]
    public void Forward_TinyOutputsWithAnActivation_SameBitsWhateverTheThreadCount(string activation)
    {
        // Three values per image: how many images one work item holds depends on the thread count, and an activation
        // run over a span of fewer than four floats takes TensorPrimitives' scalar code, four or more its vector code.
        var conv = new Conv2D(3, 4, activation: ActivationFunction.Get(activation)) { Seed = 5 };
        conv.Build(new TensorShape(4, 4, 3));
        Tensor input = Tensor.RandomNormal(new TensorShape(16, 4, 4, 3), 23, 0f, 3f);

        float[] Run(int threads)
        {
            int saved = ConvParallel.DegreeOfParallelism, savedGemm = Parallelism.MaxDegreeOfParallelism;
            try
            {
                ConvParallel.DegreeOfParallelism = threads;
                Parallelism.MaxDegreeOfParallelism = threads;
                return conv.Forward(input, training: false).ToArray();
            }
            finally
            {
                ConvParallel.DegreeOfParallelism = saved;
                Parallelism.MaxDegreeOfParallelism = savedGemm;
            }
        }

        float[] one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(4));
    }

    [Fact]
    public void Build_E43Shapes_MatchKeras()
    {
        Conv2D first = E43First();
        var second = new Conv2D(64, 3, activation: ActivationFunction.Relu);
        second.Build(new TensorShape(13, 13, 32));

        Assert.Equal(new TensorShape(26, 26, 32), first.OutputShape);
        Assert.Equal(320, first.ParameterCount);
        Assert.Equal(new TensorShape(3, 3, 1, 32), first.Kernel.Shape);
        Assert.Equal(new TensorShape(11, 11, 64), second.OutputShape);
        Assert.Equal(18_496, second.ParameterCount);
        Assert.Equal("conv2d", second.DefaultNamePrefix);
    }

    [Theory]
    [InlineData(28, 1, 3, 28)]
    [InlineData(28, 2, 3, 14)]
    [InlineData(7, 2, 3, 4)]
    [InlineData(5, 3, 2, 2)]
    public void Build_SamePadding_GivesCeilOfInputOverStride(int size, int stride, int kernel, int expected)
    {
        var layer = new Conv2D(4, kernel, stride, Padding.Same);
        layer.Build(new TensorShape(size, size, 2));
        Assert.Equal(new TensorShape(expected, expected, 4), layer.OutputShape);
    }

    [Fact]
    public void Build_RankTwoInput_ThrowsNamingLayerAndShape()
    {
        var layer = new Conv2D(32, 3, name: "conv2d_1");
        var e = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(28, 28)));
        Assert.Contains("Conv2D 'conv2d_1'", e.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 28, 28)", e.Message, StringComparison.Ordinal);
        Assert.Contains("rank 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_KernelLargerThanInput_ThrowsNamingLayerAndShapes()
    {
        var layer = new Conv2D(8, 5, name: "conv2d_2");
        var e = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(4, 4, 3)));
        Assert.Contains("Conv2D 'conv2d_2'", e.Message, StringComparison.Ordinal);
        Assert.Contains("(5, 5)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 4, 4, 3)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_KernelLargerThanInputWithSamePadding_Builds()
    {
        var layer = new Conv2D(8, 5, padding: Padding.Same);
        layer.Build(new TensorShape(4, 4, 3));
        Assert.Equal(new TensorShape(4, 4, 8), layer.OutputShape);
    }

    [Theory]
    [InlineData(0, 3, 1, "filters")]
    [InlineData(-2, 3, 1, "filters")]
    [InlineData(8, 0, 1, "kernelSize")]
    [InlineData(8, 3, 0, "strides")]
    public void Constructor_NonPositiveSetting_ThrowsNamingIt(int filters, int kernel, int stride, string parameter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2D(filters, kernel, stride, name: "conv2d_3"));
        Assert.Equal(parameter, e.ParamName);
        Assert.Contains("Conv2D 'conv2d_3'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardBackward_AfterWarmUp_AllocatesNothingOnCallingThread()
    {
        // Products small enough for Gemm to stay on the calling thread: this measures the layer's own work
        // (im2col, col2im, bias, activations, ConvParallel dispatch); the E4.3 benchmark measures the whole step.
        var first = new Conv2D(8, 3, activation: ActivationFunction.Relu) { Seed = 3 };
        var second = new Conv2D(6, 3, padding: Padding.Same, activation: ActivationFunction.Tanh) { Seed = 9 };
        first.Build(new TensorShape(10, 10, 2));
        second.Build(new TensorShape(8, 8, 8));
        Tensor input = Tensor.RandomNormal(new TensorShape(4, 10, 10, 2), 1);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(4, 8, 8, 6), 2);

        void Step()
        {
            second.Forward(first.Forward(input, true), true);
            first.Backward(second.Backward(upstream));
        }

        Step();
        Step();
        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                Step();
            }

        });
    }
}
