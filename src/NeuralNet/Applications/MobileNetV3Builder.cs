using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Applications;

/// <summary>
/// MobileNetV3Small and MobileNetV3Large (Keras' <c>keras.applications.mobilenet_v3</c>; Howard et al., 2019), built
/// layer for layer as Keras' <c>mobilenet_v3.py</c> builds them: <c>rescaling</c> (unless excluded), the stem <c>conv</c>,
/// the inverted residual blocks (<c>expanded_conv_</c>, <c>expanded_conv_1_</c>, ...: expand, depthwise, squeeze and
/// excite, project), <c>conv_1</c>, and a top made of 1x1 convolutions (<c>conv_2</c>, <c>logits</c>).
/// </summary>
/// <remarks>
/// Activations are Keras': <c>relu</c> is an unnamed <c>ReLU</c> layer, <c>hard_swish</c> an unnamed <c>Activation</c>
/// of <c>hard_silu</c>, and the squeeze-and-excite gate's <c>hard_sigmoid</c> is written out as Keras writes it,
/// <c>ReLU(6)(x + 3) * (1 / 6)</c>: the two operations are <see cref="ScalarArithmetic"/> layers named as Keras names the
/// operations (<c>add</c>, <c>multiply</c>, numbered in order). Batch normalization uses epsilon 1e-3 and momentum 0.999;
/// a strided depthwise convolution is 'valid' after Keras' <c>correct_pad</c> zero padding. Minimalistic models use 3x3
/// kernels, ReLU and no squeeze and excite.
/// </remarks>
internal sealed class MobileNetV3Builder
{
    private const float BatchNormEpsilon = 1e-3f;
    private const float BatchNormMomentum = 0.999f;

    /// <summary>A block of Keras' <c>stack_fn</c>: expansion, filters before alpha, kernel (0 for the model's: 5, or 3 when minimalistic), stride, squeeze and excite, hard swish (else ReLU).</summary>
    private readonly record struct Block(double Expansion, int Filters, int Kernel, int Stride, bool SqueezeExcite, bool HardSwish);

    private static readonly Block[] SmallBlocks =
    [
        new(1, 16, 3, 2, true, false),
        new(72.0 / 16, 24, 3, 2, false, false),
        new(88.0 / 24, 24, 3, 1, false, false),
        new(4, 40, 0, 2, true, true),
        new(6, 40, 0, 1, true, true),
        new(6, 40, 0, 1, true, true),
        new(3, 48, 0, 1, true, true),
        new(3, 48, 0, 1, true, true),
        new(6, 96, 0, 2, true, true),
        new(6, 96, 0, 1, true, true),
        new(6, 96, 0, 1, true, true),
    ];

    private static readonly Block[] LargeBlocks =
    [
        new(1, 16, 3, 1, false, false),
        new(4, 24, 3, 2, false, false),
        new(3, 24, 3, 1, false, false),
        new(3, 40, 0, 2, true, false),
        new(3, 40, 0, 1, true, false),
        new(3, 40, 0, 1, true, false),
        new(6, 80, 3, 2, false, true),
        new(2.5, 80, 3, 1, false, true),
        new(2.3, 80, 3, 1, false, true),
        new(2.3, 80, 3, 1, false, true),
        new(6, 112, 3, 1, true, true),
        new(6, 112, 3, 1, true, true),
        new(6, 160, 0, 2, true, true),
        new(6, 160, 0, 1, true, true),
        new(6, 160, 0, 1, true, true),
    ];

    private readonly bool _minimalistic;
    private int _adds;
    private int _multiplies;

    private MobileNetV3Builder(bool minimalistic) => _minimalistic = minimalistic;

    /// <summary>Builds MobileNetV3Small (Keras' <c>keras.applications.MobileNetV3Small</c>): 11 blocks, last point 1024 channels.</summary>
    internal static Functional Small(ApplicationOptions? options, double alpha, bool minimalistic, double dropoutRate, bool includePreprocessing) =>
        new MobileNetV3Builder(minimalistic).Build(options, alpha, dropoutRate, includePreprocessing, "MobileNetV3Small", SmallBlocks, 1024);

    /// <summary>Builds MobileNetV3Large (Keras' <c>keras.applications.MobileNetV3Large</c>): 15 blocks, last point 1280 channels.</summary>
    internal static Functional Large(ApplicationOptions? options, double alpha, bool minimalistic, double dropoutRate, bool includePreprocessing) =>
        new MobileNetV3Builder(minimalistic).Build(options, alpha, dropoutRate, includePreprocessing, "MobileNetV3Large", LargeBlocks, 1280);

    private Functional Build(ApplicationOptions? options, double alpha, double dropoutRate, bool includePreprocessing, string display, Block[] blocks, int lastPoint)
    {
        options ??= new ApplicationOptions();
        TensorShape shape = ApplicationChecks.Check(options, display);
        if (!(alpha > 0) || double.IsInfinity(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"{display} expects a positive, finite width multiplier. Received: alpha={alpha}.");
        }

        if (!(dropoutRate >= 0 && dropoutRate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dropoutRate), dropoutRate, $"{display} expects dropoutRate in [0, 1). Received: dropoutRate={dropoutRate}.");
        }

        var image = new Input(shape);
        SymbolicTensor x = image;
        if (includePreprocessing)
        {
            // Keras' Rescaling(scale=1.0 / 127.5, offset=-1.0): [0, 255] to [-1, 1]; the double rounded once to float32.
            x = new Rescaling((float)(1.0 / 127.5), -1f).Call(x);
        }

        x = new Conv2D(16, 3, strides: 2, padding: Padding.Same, useBias: false, name: "conv").Call(x);
        x = Normalize(x, "conv_bn");
        x = Activate(x, !_minimalistic);

        for (int id = 0; id < blocks.Length; id++)
        {
            Block block = blocks[id];
            x = InvertedResidualBlock(x, block, ApplicationChecks.MakeDivisible(block.Filters * alpha, 8), id);
        }

        int lastConv = ApplicationChecks.MakeDivisible(x.Shape[2] * 6, 8);
        if (alpha > 1.0)
        {
            lastPoint = ApplicationChecks.MakeDivisible(lastPoint * alpha, 8);
        }

        x = new Conv2D(lastConv, 1, padding: Padding.Same, useBias: false, name: "conv_1").Call(x);
        x = Normalize(x, "conv_1_bn");
        x = Activate(x, !_minimalistic);
        if (options.IncludeTop)
        {
            x = new GlobalAveragePooling2D(keepDims: true).Call(x);
            x = new Conv2D(lastPoint, 1, padding: Padding.Same, name: "conv_2").Call(x);
            x = Activate(x, !_minimalistic);
            if (dropoutRate > 0)
            {
                x = new Dropout(dropoutRate).Call(x);
            }

            x = new Conv2D(options.Classes, 1, padding: Padding.Same, name: "logits").Call(x);
            x = new Flatten().Call(x);
            x = new Activation(options.ClassifierActivation ?? ActivationFunction.Linear, name: "predictions").Call(x);
        }
        else
        {
            x = ApplicationChecks.Pool(x, options.Pooling, "avg_pool", "max_pool");
        }

        return new Functional(image, x, options.Name ?? display, options.Seed);
    }

    /// <summary>Keras' <c>_inverted_res_block</c>: expand (not in block 0), depthwise, squeeze and excite, project, and the residual add when shapes allow.</summary>
    private SymbolicTensor InvertedResidualBlock(SymbolicTensor inputs, Block block, int filters, int blockId)
    {
        int kernel = block.Kernel != 0 ? block.Kernel : _minimalistic ? 3 : 5;
        bool hardSwish = block.HardSwish && !_minimalistic;
        int inFilters = inputs.Shape[2];
        int expanded = ApplicationChecks.MakeDivisible(inFilters * block.Expansion, 8);
        SymbolicTensor x = inputs;
        string prefix = "expanded_conv_";
        if (blockId != 0)
        {
            prefix = $"expanded_conv_{blockId}_";
            x = new Conv2D(expanded, 1, padding: Padding.Same, useBias: false, name: prefix + "expand").Call(x);
            x = Normalize(x, prefix + "expand_bn");
            x = Activate(x, hardSwish);
        }

        if (block.Stride == 2)
        {
            x = new ZeroPadding2D(ApplicationChecks.CorrectPad(x.Shape, kernel), name: prefix + "depthwise_pad").Call(x);
        }

        x = new DepthwiseConv2D(kernel, strides: block.Stride, padding: block.Stride == 1 ? Padding.Same : Padding.Valid, useBias: false, name: prefix + "depthwise").Call(x);
        x = Normalize(x, prefix + "depthwise_bn");
        x = Activate(x, hardSwish);

        if (block.SqueezeExcite && !_minimalistic)
        {
            x = SqueezeExcite(x, expanded, prefix);
        }

        x = new Conv2D(filters, 1, padding: Padding.Same, useBias: false, name: prefix + "project").Call(x);
        x = Normalize(x, prefix + "project_bn");

        return block.Stride == 1 && inFilters == filters ? new Add(prefix + "add").Call(inputs, x) : x;
    }

    /// <summary>Keras' <c>_se_block</c> with <c>se_ratio</c> 0.25: pooled, squeezed to a quarter (rounded by <c>_depth</c>), expanded, gated by hard sigmoid.</summary>
    private SymbolicTensor SqueezeExcite(SymbolicTensor inputs, int filters, string prefix)
    {
        SymbolicTensor x = new GlobalAveragePooling2D(keepDims: true, name: prefix + "squeeze_excite_avg_pool").Call(inputs);
        x = new Conv2D(ApplicationChecks.MakeDivisible(filters * 0.25, 8), 1, padding: Padding.Same, name: prefix + "squeeze_excite_conv").Call(x);
        x = new ReLU(name: prefix + "squeeze_excite_relu").Call(x);
        x = new Conv2D(filters, 1, padding: Padding.Same, name: prefix + "squeeze_excite_conv_1").Call(x);
        x = HardSigmoid(x);
        return new Multiply(prefix + "squeeze_excite_mul").Call(inputs, x);
    }

    /// <summary>Keras' <c>hard_sigmoid</c> of mobilenet_v3.py, <c>ReLU(6.0)(x + 3.0) * (1.0 / 6.0)</c>, with the operations named as Keras names them.</summary>
    private SymbolicTensor HardSigmoid(SymbolicTensor x)
    {
        x = new ScalarArithmetic(ArithmeticOperator.Add, 3f, name: ApplicationChecks.Numbered("add", ref _adds)).Call(x);
        x = new ReLU(6f).Call(x);
        return new ScalarArithmetic(ArithmeticOperator.Multiply, (float)(1.0 / 6.0), name: ApplicationChecks.Numbered("multiply", ref _multiplies)).Call(x);
    }

    /// <summary>Keras' <c>relu</c> (an unnamed <c>ReLU</c> layer) or <c>hard_swish</c> (an unnamed <c>Activation("hard_swish")</c>, Keras' <c>hard_silu</c>).</summary>
    private static SymbolicTensor Activate(SymbolicTensor x, bool hardSwish) =>
        hardSwish ? new Activation(ActivationFunction.HardSilu).Call(x) : new ReLU().Call(x);

    private static SymbolicTensor Normalize(SymbolicTensor x, string name) =>
        new BatchNormalization(momentum: BatchNormMomentum, epsilon: BatchNormEpsilon, name: name).Call(x);
}
