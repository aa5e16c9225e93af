using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Applications;

/// <summary>
/// MobileNetV2 (Keras' <c>keras.applications.mobilenet_v2</c>; Sandler et al., 2018), built layer for layer as Keras'
/// <c>mobilenet_v2.py</c> builds it: the stem <c>Conv1</c>, 17 inverted residual blocks (<c>expanded_conv_</c>,
/// <c>block_1_</c> ... <c>block_16_</c>: expand, depthwise, project), <c>Conv_1</c>, and the classifier.
/// </summary>
/// <example>
/// <code>
/// Functional model = KerasApplications.MobileNetV2();                               // 3,538,984 parameters
/// KerasFormat.LoadWeights(model, "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5");   // NeuralNet.Keras
/// Tensor probabilities = model.Predict(ImageNetPreprocessing.Tf(images));   // images in [0, 255]
/// </code>
/// </example>
/// <remarks>
/// Batch normalization uses epsilon 1e-3 and momentum 0.999, activations are ReLU capped at 6, and convolutions have no
/// bias, as in Keras. A strided depthwise convolution is 'valid' after Keras' <c>correct_pad</c> zero padding (one pixel
/// less before than after on an even side), so the model matches Keras' on any input size, not only TensorFlow's 'same'.
/// The width multiplier <c>alpha</c> scales every block's filters, rounded to a multiple of 8 by Keras' <c>_make_divisible</c>;
/// the last convolution keeps 1280 filters unless <c>alpha</c> exceeds 1.
/// </remarks>
internal static class MobileNetV2Builder
{
    private const float BatchNormEpsilon = 1e-3f;
    private const float BatchNormMomentum = 0.999f;
    private const float ReluCap = 6f;

    /// <summary>The (filters, stride, expansion) of the 17 inverted residual blocks, in Keras' order.</summary>
    private static readonly (int Filters, int Stride, int Expansion)[] Blocks =
    [
        (16, 1, 1),
        (24, 2, 6), (24, 1, 6),
        (32, 2, 6), (32, 1, 6), (32, 1, 6),
        (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
        (96, 1, 6), (96, 1, 6), (96, 1, 6),
        (160, 2, 6), (160, 1, 6), (160, 1, 6),
        (320, 1, 6),
    ];

    /// <summary>The widths Keras publishes ImageNet weights for.</summary>
    private static readonly double[] PublishedAlphas = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4];

    /// <summary>Whether the image is square with a side Keras publishes weights for (96, 128, 160, 192 or 224).</summary>
    private static bool IsPublishedSize(TensorShape shape) => shape[0] == shape[1] && shape[0] is 96 or 128 or 160 or 192 or 224;

    /// <summary>Builds MobileNetV2 (Keras' <c>keras.applications.MobileNetV2</c>).</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (classifier of 1000 classes on 224 x 224 x 3 images).</param>
    /// <param name="alpha">The width multiplier (Keras' <c>alpha</c>, default 1.0); Keras publishes weights for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4.</param>
    /// <returns>
    /// A new model, randomly initialized, named as Keras names it: <c>mobilenetv2_{alpha:0.2f}_{rows}</c> (<c>mobilenetv2_1.00_224</c>)
    /// unless <see cref="ApplicationOptions.Name"/> is set.
    /// </returns>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="ApplicationOptions"/>), or <paramref name="alpha"/> is not positive and finite, or not a published width with <see cref="ApplicationOptions.ImageNetWeights"/>.</exception>
    internal static Functional MobileNetV2(ApplicationOptions? options = null, double alpha = 1.0)
    {
        options ??= new ApplicationOptions();

        // Keras' default size is the input's side when it is square and one of the published sizes, else 224.
        int defaultSize = options.InputShape is { Rank: 3 } given && IsPublishedSize(given) ? given[0] : ApplicationChecks.DefaultSize;
        TensorShape shape = ApplicationChecks.Check(options, "MobileNetV2", defaultSize);
        if (!(alpha > 0) || double.IsInfinity(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"MobileNetV2 expects a positive, finite width multiplier. Received: alpha={alpha}.");
        }

        if (options.ImageNetWeights && Array.IndexOf(PublishedAlphas, alpha) < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha,
                $"MobileNetV2: if ImageNetWeights are being loaded, alpha must be one of 0.35, 0.5, 0.75, 1.0, 1.3 or 1.4 only. Received: alpha={alpha}.");
        }

        var image = new Input(shape);
        SymbolicTensor x = new Conv2D(ApplicationChecks.MakeDivisible(32 * alpha, 8), 3, strides: 2, padding: Padding.Same, useBias: false, name: "Conv1").Call(image);
        x = Normalize(x, "bn_Conv1");
        x = new ReLU(ReluCap, name: "Conv1_relu").Call(x);

        for (int id = 0; id < Blocks.Length; id++)
        {
            var (filters, stride, expansion) = Blocks[id];
            x = InvertedResidualBlock(x, expansion, stride, alpha, filters, id);
        }

        // No alpha on the last convolution below 1, as the paper says (Keras' comment): it widens only.
        int lastFilters = alpha > 1.0 ? ApplicationChecks.MakeDivisible(1280 * alpha, 8) : 1280;
        x = new Conv2D(lastFilters, 1, useBias: false, name: "Conv_1").Call(x);
        x = Normalize(x, "Conv_1_bn");
        x = new ReLU(ReluCap, name: "out_relu").Call(x);

        // Keras leaves the pooling layers of MobileNetV2 unnamed (global_average_pooling2d, ...); they hold no weights.
        if (options.IncludeTop)
        {
            x = new GlobalAveragePooling2D().Call(x);
            x = new Dense(options.Classes, options.ClassifierActivation, name: "predictions").Call(x);
        }
        else
        {
            x = ApplicationChecks.Pool(x, options.Pooling, null, null);
        }

        // Keras names the model after the size of the weights it loads: 224 for an unpublished size with ImageNet weights.
        int rows = options.ImageNetWeights && !IsPublishedSize(shape) ? ApplicationChecks.DefaultSize : shape[0];
        string name = options.Name ?? $"mobilenetv2_{ApplicationChecks.TwoDecimals(alpha)}_{rows}";
        return new Functional(image, x, name, options.Seed);
    }


    /// <summary>Keras' <c>_inverted_res_block</c>: expand (not in block 0), depthwise, project, and the residual add when shapes allow.</summary>
    private static SymbolicTensor InvertedResidualBlock(SymbolicTensor inputs, int expansion, int stride, double alpha, int filters, int blockId)
    {
        int inChannels = inputs.Shape[2];
        int pointwiseFilters = ApplicationChecks.MakeDivisible((int)(filters * alpha), 8);
        SymbolicTensor x = inputs;
        string prefix = $"block_{blockId}_";
        if (blockId != 0)
        {
            x = new Conv2D(expansion * inChannels, 1, padding: Padding.Same, useBias: false, name: prefix + "expand").Call(x);
            x = Normalize(x, prefix + "expand_BN");
            x = new ReLU(ReluCap, name: prefix + "expand_relu").Call(x);
        }
        else
        {
            prefix = "expanded_conv_";
        }

        if (stride == 2)
        {
            x = new ZeroPadding2D(ApplicationChecks.CorrectPad(x.Shape, 3), name: prefix + "pad").Call(x);
        }

        x = new DepthwiseConv2D(3, strides: stride, padding: stride == 1 ? Padding.Same : Padding.Valid, useBias: false, name: prefix + "depthwise").Call(x);
        x = Normalize(x, prefix + "depthwise_BN");
        x = new ReLU(ReluCap, name: prefix + "depthwise_relu").Call(x);

        x = new Conv2D(pointwiseFilters, 1, padding: Padding.Same, useBias: false, name: prefix + "project").Call(x);
        x = Normalize(x, prefix + "project_BN");

        return inChannels == pointwiseFilters && stride == 1 ? new Add(prefix + "add").Call(inputs, x) : x;
    }

    private static SymbolicTensor Normalize(SymbolicTensor x, string name) =>
        new BatchNormalization(momentum: BatchNormMomentum, epsilon: BatchNormEpsilon, name: name).Call(x);
}
