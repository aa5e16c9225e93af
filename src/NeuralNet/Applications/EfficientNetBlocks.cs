using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Applications;

/// <summary>
/// What Keras' <c>efficientnet.py</c> and <c>efficientnet_v2.py</c> share: their initializers, the squeeze-and-excitation
/// phase, the residual connection with its drop connect, and the rounding of repeats.
/// </summary>
internal static class EfficientNetBlocks
{
    /// <summary>Keras' <c>CONV_KERNEL_INITIALIZER</c>: VarianceScaling(2.0, fan_out, truncated normal); one per layer, as Keras deserializes one per layer.</summary>
    public static Initializer ConvKernel() => new VarianceScaling(2.0, VarianceScalingMode.FanOut, VarianceScalingDistribution.TruncatedNormal);

    /// <summary>Keras' <c>DENSE_KERNEL_INITIALIZER</c>: VarianceScaling(1/3, fan_out, uniform).</summary>
    public static Initializer DenseKernel() => new VarianceScaling(1.0 / 3.0, VarianceScalingMode.FanOut, VarianceScalingDistribution.Uniform);

    /// <summary>Keras' <c>round_repeats</c>: <c>int(math.ceil(depth_coefficient * repeats))</c>, in double as Python computes it.</summary>
    public static int RoundRepeats(int repeats, double depthCoefficient) => (int)Math.Ceiling(depthCoefficient * repeats);

    /// <summary>The swish activation layer Keras creates with <c>layers.Activation("swish", name=...)</c>.</summary>
    public static SymbolicTensor Swish(SymbolicTensor x, string name) => new Activation(ActivationFunction.Silu, name).Call(x);

    /// <summary>
    /// Keras' squeeze-and-excitation phase (both files): <c>se_squeeze</c> (global average pooling), <c>se_reshape</c> to
    /// (1, 1, filters), <c>se_reduce</c> (1x1, swish, <c>max(1, int(inputFilters * seRatio))</c> filters, with bias),
    /// <c>se_expand</c> (1x1, sigmoid, back to <paramref name="filters"/>) and <c>se_excite</c>, the product with
    /// <paramref name="x"/>. Nothing when the ratio is not in (0, 1].
    /// </summary>
    public static SymbolicTensor SqueezeExcite(SymbolicTensor x, int inputFilters, int filters, double seRatio, string prefix)
    {
        if (!(seRatio > 0 && seRatio <= 1))
        {
            return x;
        }

        int squeezed = Math.Max(1, (int)(inputFilters * seRatio));
        SymbolicTensor se = new GlobalAveragePooling2D(prefix + "se_squeeze").Call(x);
        se = new Reshape([1, 1, filters], prefix + "se_reshape").Call(se);
        se = new Conv2D(squeezed, 1, padding: Padding.Same, activation: ActivationFunction.Silu, kernelInitializer: ConvKernel(), name: prefix + "se_reduce").Call(se);
        se = new Conv2D(filters, 1, padding: Padding.Same, activation: ActivationFunction.Sigmoid, kernelInitializer: ConvKernel(), name: prefix + "se_expand").Call(se);
        return new Multiply(prefix + "se_excite").Call(x, se);
    }

    /// <summary>
    /// The depthwise inverted residual block of both files (V1's <c>block</c>, V2's <c>MBConvBlock</c>): a 1x1
    /// <c>expand_conv</c> (unless the ratio is 1), the depthwise convolution <paramref name="depthwiseName"/>
    /// (<c>dwconv</c> or <c>dwconv2</c>), squeeze-and-excitation, the 1x1 <c>project_conv</c>, and the residual when the
    /// block keeps its shape. With <paramref name="correctPad"/> (V1) a strided depthwise convolution is 'valid' after
    /// Keras' <c>correct_pad</c> (<c>dwconv_pad</c>); otherwise (V2) it is 'same'.
    /// </summary>
    public static SymbolicTensor MBConv(SymbolicTensor inputs, in MBConvArgs block, bool correctPad, string depthwiseName, float batchNormMomentum)
    {
        string prefix = block.Prefix;
        int filters = block.FiltersIn * block.Expand;
        SymbolicTensor x = inputs;
        if (block.Expand != 1)
        {
            x = new Conv2D(filters, 1, padding: Padding.Same, useBias: false, kernelInitializer: ConvKernel(), name: prefix + "expand_conv").Call(x);
            x = new BatchNormalization(batchNormMomentum, name: prefix + "expand_bn").Call(x);
            x = Swish(x, prefix + "expand_activation");
        }

        Padding padding = Padding.Same;
        if (correctPad && block.Strides == 2)
        {
            x = new ZeroPadding2D(ApplicationChecks.CorrectPad(x.Shape, block.Kernel), name: prefix + "dwconv_pad").Call(x);
            padding = Padding.Valid;
        }

        x = new DepthwiseConv2D(block.Kernel, block.Strides, padding, useBias: false, depthwiseInitializer: ConvKernel(), name: prefix + depthwiseName).Call(x);
        x = new BatchNormalization(batchNormMomentum, name: prefix + "bn").Call(x);
        x = Swish(x, prefix + "activation");
        x = SqueezeExcite(x, block.FiltersIn, filters, block.SeRatio, prefix);

        x = new Conv2D(block.FiltersOut, 1, padding: Padding.Same, useBias: false, kernelInitializer: ConvKernel(), name: prefix + "project_conv").Call(x);
        x = new BatchNormalization(batchNormMomentum, name: prefix + "project_bn").Call(x);
        return Residual(x, inputs, block);
    }

    /// <summary>The residual of a block (Keras' <c>id_skip</c> is true in every stage of both files) when it keeps its shape.</summary>
    public static SymbolicTensor Residual(SymbolicTensor x, SymbolicTensor inputs, in MBConvArgs block) =>
        block.Strides == 1 && block.FiltersIn == block.FiltersOut ? Residual(x, inputs, block.DropRate, block.Prefix) : x;

    /// <summary>
    /// The residual connection: Keras' drop connect (<c>drop</c>, a Dropout of <paramref name="dropRate"/> with noise
    /// shape (None, 1, 1, 1), so a whole sample's branch is dropped; left out at rate 0) and <c>add</c> of the branch and
    /// the block's input, in that order.
    /// </summary>
    public static SymbolicTensor Residual(SymbolicTensor x, SymbolicTensor inputs, double dropRate, string prefix)
    {
        if (dropRate > 0)
        {
            x = new Dropout(dropRate, name: prefix + "drop") { NoiseShape = [null, 1, 1, 1] }.Call(x);
        }

        return new Add(prefix + "add").Call(x, inputs);
    }

    /// <summary>
    /// Keras' top of both families: <c>avg_pool</c>, <c>top_dropout</c> (when the rate is above 0) and <c>predictions</c>
    /// with Keras' dense initializer; without top, the pooling <c>avg_pool</c> or <c>max_pool</c>.
    /// </summary>
    public static SymbolicTensor Top(SymbolicTensor x, ApplicationOptions options, double dropoutRate)
    {
        if (!options.IncludeTop)
        {
            return ApplicationChecks.Pool(x, options.Pooling, "avg_pool", "max_pool");
        }

        x = new GlobalAveragePooling2D("avg_pool").Call(x);
        if (dropoutRate > 0)
        {
            x = new Dropout(dropoutRate, name: "top_dropout").Call(x);
        }

        return new Dense(options.Classes, options.ClassifierActivation, kernelInitializer: DenseKernel(), name: "predictions").Call(x);
    }
}

/// <summary>One inverted residual block's arguments (Keras' block arguments after rounding), its drop rate and name prefix.</summary>
internal readonly record struct MBConvArgs(int FiltersIn, int FiltersOut, int Expand, int Kernel, int Strides, double SeRatio, double DropRate, string Prefix);
