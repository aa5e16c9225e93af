using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Applications;

/// <summary>
/// EfficientNetV2 B0 to B3, S, M and L (Keras' <c>keras.applications.efficientnet_v2</c>; Tan and Le, 2021), built layer
/// for layer as Keras' <c>efficientnet_v2.py</c> builds them: the preprocessing, the stem (<c>stem_conv</c>,
/// <c>stem_bn</c>, <c>stem_activation</c>), stages of fused (<c>FusedMBConvBlock</c>) and depthwise
/// (<c>MBConvBlock</c>) inverted residual blocks named <c>block1a_</c>, ..., the top convolution and the classifier.
/// </summary>
/// <remarks>
/// Batch normalization uses momentum 0.9 (epsilon 1e-3); activations are swish; convolutions are 'same', strided ones
/// too (no <c>correct_pad</c>, unlike EfficientNet). Filters are rounded to a multiple of 8 without EfficientNet's
/// 10 % rule. Block k of a model drops its residual branch with rate 0.2 k / n where, as in Keras, n counts the stages'
/// repeats before the depth coefficient scales them (so B1 to B3 reach rates above 0.2). With <c>include_preprocessing</c>
/// the B variants on 3 channels rescale by 1/255 and normalize with ImageNet's mean and variance (a
/// <c>Normalization</c> given its statistics, so without weights); S, M and L, or other channel counts, rescale to
/// [-1, 1) by x / 128 - 1.
/// </remarks>
internal static class EfficientNetV2Builder
{
    /// <summary>Keras' <c>drop_connect_rate</c>.</summary>
    private const double DropConnectRate = 0.2;

    /// <summary>Keras' <c>bn_momentum</c>.</summary>
    private const float BatchNormMomentum = 0.9f;

    /// <summary>Keras' <c>dropout_rate</c> before the classifier (the same for every variant).</summary>
    private const double TopDropout = 0.2;

    private static readonly Stage[] BaseStages =
    [
        new(3, 1, 32, 16, 1, 0, 1, true),
        new(3, 2, 16, 32, 4, 0, 2, true),
        new(3, 2, 32, 48, 4, 0, 2, true),
        new(3, 3, 48, 96, 4, 0.25, 2, false),
        new(3, 5, 96, 112, 6, 0.25, 1, false),
        new(3, 8, 112, 192, 6, 0.25, 2, false),
    ];

    private static readonly Stage[] SmallStages =
    [
        new(3, 2, 24, 24, 1, 0, 1, true),
        new(3, 4, 24, 48, 4, 0, 2, true),
        new(3, 4, 48, 64, 4, 0, 2, true),
        new(3, 6, 64, 128, 4, 0.25, 2, false),
        new(3, 9, 128, 160, 6, 0.25, 1, false),
        new(3, 15, 160, 256, 6, 0.25, 2, false),
    ];

    private static readonly Stage[] MediumStages =
    [
        new(3, 3, 24, 24, 1, 0, 1, true),
        new(3, 5, 24, 48, 4, 0, 2, true),
        new(3, 5, 48, 80, 4, 0, 2, true),
        new(3, 7, 80, 160, 4, 0.25, 2, false),
        new(3, 14, 160, 176, 6, 0.25, 1, false),
        new(3, 18, 176, 304, 6, 0.25, 2, false),
        new(3, 5, 304, 512, 6, 0.25, 1, false),
    ];

    private static readonly Stage[] LargeStages =
    [
        new(3, 4, 32, 32, 1, 0, 1, true),
        new(3, 7, 32, 64, 4, 0, 2, true),
        new(3, 7, 64, 96, 4, 0, 2, true),
        new(3, 10, 96, 192, 4, 0.25, 2, false),
        new(3, 19, 192, 224, 6, 0.25, 1, false),
        new(3, 25, 224, 384, 6, 0.25, 2, false),
        new(3, 7, 384, 640, 6, 0.25, 1, false),
    ];

    /// <summary>The variants Keras exports, by the suffix of their name (<c>efficientnetv2-b0</c>, ...).</summary>
    internal static readonly Dictionary<string, Variant> Variants = new()
    {
        ["b0"] = new("EfficientNetV2B0", 1.0, 1.0, 224, BaseStages),
        ["b1"] = new("EfficientNetV2B1", 1.0, 1.1, 240, BaseStages),
        ["b2"] = new("EfficientNetV2B2", 1.1, 1.2, 260, BaseStages),
        ["b3"] = new("EfficientNetV2B3", 1.2, 1.4, 300, BaseStages),
        ["s"] = new("EfficientNetV2S", 1.0, 1.0, 384, SmallStages),
        ["m"] = new("EfficientNetV2M", 1.0, 1.0, 480, MediumStages),
        ["l"] = new("EfficientNetV2L", 1.0, 1.0, 480, LargeStages),
    };

    /// <summary>Builds EfficientNetV2 of the variant named by <paramref name="suffix"/> (<c>b0</c> ... <c>b3</c>, <c>s</c>, <c>m</c>, <c>l</c>).</summary>
    internal static Functional Build(ApplicationOptions? options, string suffix)
    {
        options ??= new ApplicationOptions();
        Variant variant = Variants[suffix];
        TensorShape shape = ApplicationChecks.Check(options, variant.Display, variant.Size);
        int RoundFilters(int filters) => RoundFiltersV2(filters, variant.Width);

        var image = new Input(shape);
        SymbolicTensor x = image;
        if (options.IncludePreprocessing)
        {
            x = Preprocess(x, isBase: suffix[0] == 'b', channels: shape[2]);
        }

        Stage[] stages = variant.Stages;
        x = new Conv2D(RoundFilters(stages[0].FiltersIn), 3, strides: 2, padding: Padding.Same, useBias: false,
            kernelInitializer: EfficientNetBlocks.ConvKernel(), name: "stem_conv").Call(x);
        x = Normalize(x, "stem_bn");
        x = EfficientNetBlocks.Swish(x, "stem_activation");

        // Keras divides by the repeats before the depth coefficient rounds them up (efficientnet_v2.py: num_repeat).
        double blocks = stages.Sum(s => s.Repeats);
        int b = 0;
        for (int i = 0; i < stages.Length; i++)
        {
            Stage stage = stages[i];
            int filtersIn = RoundFilters(stage.FiltersIn), filtersOut = RoundFilters(stage.FiltersOut), strides = stage.Strides;
            int repeats = EfficientNetBlocks.RoundRepeats(stage.Repeats, variant.Depth);
            for (int j = 0; j < repeats; j++)
            {
                if (j > 0)
                {
                    strides = 1;
                    filtersIn = filtersOut;
                }

                var block = new MBConvArgs(filtersIn, filtersOut, stage.Expand, stage.Kernel, strides, stage.SeRatio, DropConnectRate * b / blocks, $"block{i + 1}{(char)('a' + j)}_");
                x = stage.Fused ? FusedMBConv(x, block) : EfficientNetBlocks.MBConv(x, block, correctPad: false, "dwconv2", BatchNormMomentum);
                b++;
            }
        }

        x = new Conv2D(RoundFilters(1280), 1, padding: Padding.Same, useBias: false, kernelInitializer: EfficientNetBlocks.ConvKernel(), name: "top_conv").Call(x);
        x = Normalize(x, "top_bn");
        x = EfficientNetBlocks.Swish(x, "top_activation");
        x = EfficientNetBlocks.Top(x, options, TopDropout);

        return new Functional(image, x, options.Name ?? $"efficientnetv2-{suffix}", options.Seed);
    }

    /// <summary>
    /// Keras' <c>round_filters</c> of <c>efficientnet_v2.py</c>: <c>max(8, int(f + 4) // 8 * 8)</c> with
    /// <c>f = filters * width</c> (min_depth and depth_divisor 8), in double as Python computes it.
    /// </summary>
    internal static int RoundFiltersV2(int filters, double width)
    {
        double f = filters * width;
        return Math.Max(8, (int)(f + 4.0) / 8 * 8);
    }

    // Keras' include_preprocessing: the V1 preprocessing for the B variants on 3 channels, x / 128 - 1 otherwise.
    private static SymbolicTensor Preprocess(SymbolicTensor x, bool isBase, int channels)
    {
        if (!isBase || channels != 3)
        {
            return new Rescaling(1f / 128f, -1f).Call(x);
        }

        x = new Rescaling(1f / 255f).Call(x);
        float[] mean = [0.485f, 0.456f, 0.406f];
        float[] variance = [(float)(0.229 * 0.229), (float)(0.224 * 0.224), (float)(0.225 * 0.225)];
        return new Normalization(axis: 3, mean, variance).Call(x);
    }

    /// <summary>
    /// Keras' <c>FusedMBConvBlock</c>: the expansion and depthwise convolution fused into one k x k convolution
    /// (<c>expand_conv</c>), squeeze-and-excitation, then a 1x1 projection; without expansion, the projection is the
    /// k x k strided convolution and gets an activation (<c>project_activation</c>).
    /// </summary>
    private static SymbolicTensor FusedMBConv(SymbolicTensor inputs, in MBConvArgs block)
    {
        string prefix = block.Prefix;
        int filters = block.FiltersIn * block.Expand;
        bool expands = block.Expand != 1;
        SymbolicTensor x = inputs;
        if (expands)
        {
            x = new Conv2D(filters, block.Kernel, strides: block.Strides, padding: Padding.Same, useBias: false, kernelInitializer: EfficientNetBlocks.ConvKernel(), name: prefix + "expand_conv").Call(x);
            x = Normalize(x, prefix + "expand_bn");
            x = EfficientNetBlocks.Swish(x, prefix + "expand_activation");
        }

        x = EfficientNetBlocks.SqueezeExcite(x, block.FiltersIn, filters, block.SeRatio, prefix);

        x = new Conv2D(block.FiltersOut, expands ? 1 : block.Kernel, strides: expands ? 1 : block.Strides, padding: Padding.Same, useBias: false,
            kernelInitializer: EfficientNetBlocks.ConvKernel(), name: prefix + "project_conv").Call(x);
        x = Normalize(x, prefix + "project_bn");
        if (!expands)
        {
            x = EfficientNetBlocks.Swish(x, prefix + "project_activation");
        }

        return EfficientNetBlocks.Residual(x, inputs, block);
    }

    private static SymbolicTensor Normalize(SymbolicTensor x, string name) => new BatchNormalization(momentum: BatchNormMomentum, name: name).Call(x);

    /// <summary>One stage of Keras' <c>DEFAULT_BLOCKS_ARGS</c> (<c>conv_type</c> 1 is fused).</summary>
    internal readonly record struct Stage(int Kernel, int Repeats, int FiltersIn, int FiltersOut, int Expand, double SeRatio, int Strides, bool Fused);

    /// <summary>A variant: the builder's name in messages, Keras' coefficients, default size and stages.</summary>
    internal sealed record Variant(string Display, double Width, double Depth, int Size, Stage[] Stages);
}
