using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Applications;

/// <summary>
/// EfficientNet B0 to B7 (Keras' <c>keras.applications.efficientnet</c>; Tan and Le, 2019), built layer for layer as
/// Keras' <c>efficientnet.py</c> builds them: the preprocessing (<c>rescaling</c>, <c>normalization</c>), the stem
/// (<c>stem_conv_pad</c>, <c>stem_conv</c>, <c>stem_bn</c>, <c>stem_activation</c>), seven stages of inverted residual
/// blocks (<c>block1a_</c> ... <c>block7d_</c>) with squeeze-and-excitation, the top convolution (<c>top_conv</c>,
/// <c>top_bn</c>, <c>top_activation</c>) and the classifier (<c>avg_pool</c>, <c>top_dropout</c>, <c>predictions</c>).
/// </summary>
/// <remarks>
/// B1 to B7 scale B0's filters by a width coefficient (Keras' <c>round_filters</c>: to a multiple of 8, not more than
/// 10 % down) and its repeats by a depth coefficient (rounded up). Batch normalization keeps Keras' defaults (epsilon
/// 1e-3, momentum 0.99); activations are swish. Block k of n (counted over the whole model from 0) drops its residual
/// branch with rate 0.2 k / n. A strided depthwise convolution is 'valid' after Keras' <c>correct_pad</c>.
/// </remarks>
internal static class EfficientNetBuilder
{
    /// <summary>Keras' <c>IMAGENET_STDDEV_RGB</c>.</summary>
    private static readonly double[] ImageNetStddev = [0.229, 0.224, 0.225];

    /// <summary>Keras' <c>DEFAULT_BLOCKS_ARGS</c>: (kernel, repeats, filters in, filters out, expansion, strides, SE ratio) of the seven stages.</summary>
    private static readonly (int Kernel, int Repeats, int FiltersIn, int FiltersOut, int Expand, int Strides, double SeRatio)[] Stages =
    [
        (3, 1, 32, 16, 1, 1, 0.25),
        (3, 2, 16, 24, 6, 2, 0.25),
        (5, 2, 24, 40, 6, 2, 0.25),
        (3, 3, 40, 80, 6, 2, 0.25),
        (5, 3, 80, 112, 6, 1, 0.25),
        (5, 4, 112, 192, 6, 2, 0.25),
        (3, 1, 192, 320, 6, 1, 0.25),
    ];

    /// <summary>Keras' batch normalization momentum in <c>efficientnet.py</c> (the layer's default).</summary>
    private const float BatchNormMomentum = 0.99f;

    /// <summary>Keras' drop connect rate of the residual branches (<c>drop_connect_rate</c>).</summary>
    private const double DropConnectRate = 0.2;

    /// <summary>Keras' EfficientNetB0 ... B7: (width coefficient, depth coefficient, default size, dropout rate).</summary>
    internal static readonly (double Width, double Depth, int Size, double Dropout)[] Variants =
    [
        (1.0, 1.0, 224, 0.2),
        (1.0, 1.1, 240, 0.2),
        (1.1, 1.2, 260, 0.3),
        (1.2, 1.4, 300, 0.3),
        (1.4, 1.8, 380, 0.4),
        (1.6, 2.2, 456, 0.4),
        (1.8, 2.6, 528, 0.5),
        (2.0, 3.1, 600, 0.5),
    ];

    /// <summary>Builds EfficientNetB<paramref name="variant"/> (Keras' <c>keras.applications.EfficientNetB0</c> ... <c>B7</c>).</summary>
    internal static Functional Build(ApplicationOptions? options, int variant)
    {
        options ??= new ApplicationOptions();
        var (width, depth, size, dropout) = Variants[variant];
        TensorShape shape = ApplicationChecks.Check(options, $"EfficientNetB{variant}", size);
        int RoundFilters(int filters) => ApplicationChecks.MakeDivisible(filters * width, 8);

        var image = new Input(shape);
        SymbolicTensor x = new Rescaling(1f / 255f).Call(image);
        x = new Normalization(axis: 3).Call(x);
        if (options.ImageNetWeights)
        {
            // Keras' fix for its published weights: their normalization holds the standard deviations as variances, so
            // it divides by sqrt(stddev); this divides by sqrt(stddev) once more (tensorflow/tensorflow#49930).
            x = new Rescaling([.. ImageNetStddev.Select(s => (float)(1.0 / Math.Sqrt(s)))]).Call(x);
        }

        x = new ZeroPadding2D(ApplicationChecks.CorrectPad(x.Shape, 3), name: "stem_conv_pad").Call(x);
        x = new Conv2D(RoundFilters(32), 3, strides: 2, useBias: false, kernelInitializer: EfficientNetBlocks.ConvKernel(), name: "stem_conv").Call(x);
        x = new BatchNormalization(name: "stem_bn").Call(x);
        x = EfficientNetBlocks.Swish(x, "stem_activation");

        double blocks = Stages.Sum(s => EfficientNetBlocks.RoundRepeats(s.Repeats, depth));
        int b = 0;
        for (int i = 0; i < Stages.Length; i++)
        {
            var stage = Stages[i];
            int filtersIn = RoundFilters(stage.FiltersIn), filtersOut = RoundFilters(stage.FiltersOut), strides = stage.Strides;
            int repeats = EfficientNetBlocks.RoundRepeats(stage.Repeats, depth);
            for (int j = 0; j < repeats; j++)
            {
                if (j > 0)
                {
                    strides = 1;
                    filtersIn = filtersOut;
                }

                var block = new MBConvArgs(filtersIn, filtersOut, stage.Expand, stage.Kernel, strides, stage.SeRatio, DropConnectRate * b / blocks, $"block{i + 1}{(char)('a' + j)}_");
                x = EfficientNetBlocks.MBConv(x, block, correctPad: true, "dwconv", BatchNormMomentum);
                b++;
            }
        }

        x = new Conv2D(RoundFilters(1280), 1, padding: Padding.Same, useBias: false, kernelInitializer: EfficientNetBlocks.ConvKernel(), name: "top_conv").Call(x);
        x = new BatchNormalization(name: "top_bn").Call(x);
        x = EfficientNetBlocks.Swish(x, "top_activation");
        x = EfficientNetBlocks.Top(x, options, dropout);

        // Keras' normalization is never adapted here: it passes values through (mean 0, variance 1) until weights are loaded.
        return new Functional(image, x, options.Name ?? $"efficientnetb{variant}", options.Seed);
    }
}
