using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Applications;

/// <summary>
/// DenseNet121, DenseNet169 and DenseNet201 (Keras' <c>keras.applications.densenet</c>; Huang et al., 2017), built layer
/// for layer as Keras' <c>densenet.py</c> builds them: the same layers, names (<c>conv1_conv</c>, <c>conv2_block1_0_bn</c>,
/// <c>pool2_conv</c>, ...), order and weights, so Keras' published weights files load into them by order.
/// </summary>
/// <remarks>
/// Each building block (Keras' <c>conv_block</c>) is batch normalization, ReLU, a 1x1 convolution of 128 filters, batch
/// normalization, ReLU and a 3x3 'same' convolution of 32 filters (the growth rate), concatenated to its input; each
/// transition (<c>transition_block</c>) halves the channels with a 1x1 convolution and the size with 2x2 average pooling.
/// Convolutions have no bias; batch normalization uses epsilon 1.001e-5 and Keras' default momentum 0.99.
/// </remarks>
internal static class DenseNetBuilder
{
    /// <summary>Keras' batch-normalization epsilon in DenseNet.</summary>
    private const float BatchNormEpsilon = 1.001e-5f;

    /// <summary>Keras' <c>growth_rate</c> of every dense block (the 3x3 convolution's filters).</summary>
    private const int GrowthRate = 32;

    /// <summary>Keras' <c>reduction</c> of every transition block.</summary>
    private const double Reduction = 0.5;

    /// <summary>Builds DenseNet121 (Keras' <c>keras.applications.DenseNet121</c>): dense blocks of 6, 12, 24 and 16.</summary>
    internal static Functional DenseNet121(ApplicationOptions? options) => Build(options, "densenet121", "DenseNet121", [6, 12, 24, 16]);

    /// <summary>Builds DenseNet169 (Keras' <c>keras.applications.DenseNet169</c>): dense blocks of 6, 12, 32 and 32.</summary>
    internal static Functional DenseNet169(ApplicationOptions? options) => Build(options, "densenet169", "DenseNet169", [6, 12, 32, 32]);

    /// <summary>Builds DenseNet201 (Keras' <c>keras.applications.DenseNet201</c>): dense blocks of 6, 12, 48 and 32.</summary>
    internal static Functional DenseNet201(ApplicationOptions? options) => Build(options, "densenet201", "DenseNet201", [6, 12, 48, 32]);

    private static Functional Build(ApplicationOptions? options, string modelName, string display, int[] blocks)
    {
        options ??= new ApplicationOptions();
        TensorShape shape = ApplicationChecks.Check(options, display);
        var image = new Input(shape);

        // Keras leaves both zero paddings unnamed (zero_padding2d, zero_padding2d_1); they hold no weights.
        SymbolicTensor x = new ZeroPadding2D(((3, 3), (3, 3))).Call(image);
        x = new Conv2D(64, 7, strides: 2, useBias: false, name: "conv1_conv").Call(x);
        x = Normalize(x, "conv1_bn");
        x = new Activation(ActivationFunction.Relu, name: "conv1_relu").Call(x);
        x = new ZeroPadding2D(((1, 1), (1, 1))).Call(x);
        x = new MaxPooling2D(3, strides: 2, name: "pool1").Call(x);

        for (int stage = 0; stage < blocks.Length; stage++)
        {
            x = DenseBlock(x, blocks[stage], $"conv{stage + 2}");
            if (stage < blocks.Length - 1)
            {
                x = TransitionBlock(x, $"pool{stage + 2}");
            }
        }

        x = Normalize(x, "bn");
        x = new Activation(ActivationFunction.Relu, name: "relu").Call(x);

        return new Functional(image, ApplicationChecks.AveragePoolHead(x, options), options.Name ?? modelName, options.Seed);
    }

    /// <summary>Keras' <c>dense_block</c>: <paramref name="blocks"/> building blocks, each adding 32 channels.</summary>
    private static SymbolicTensor DenseBlock(SymbolicTensor x, int blocks, string name)
    {
        for (int i = 1; i <= blocks; i++)
        {
            x = ConvBlock(x, $"{name}_block{i}");
        }

        return x;
    }

    /// <summary>Keras' <c>conv_block</c>: BN, ReLU, 1x1 convolution (4 x growth rate), BN, ReLU, 3x3 convolution, concatenated to the input.</summary>
    private static SymbolicTensor ConvBlock(SymbolicTensor x, string name)
    {
        SymbolicTensor x1 = Normalize(x, name + "_0_bn");
        x1 = new Activation(ActivationFunction.Relu, name: name + "_0_relu").Call(x1);
        x1 = new Conv2D(4 * GrowthRate, 1, useBias: false, name: name + "_1_conv").Call(x1);
        x1 = Normalize(x1, name + "_1_bn");
        x1 = new Activation(ActivationFunction.Relu, name: name + "_1_relu").Call(x1);
        x1 = new Conv2D(GrowthRate, 3, padding: Padding.Same, useBias: false, name: name + "_2_conv").Call(x1);
        return new Concatenate(name: name + "_concat").Call(x, x1);
    }

    /// <summary>Keras' <c>transition_block</c>: BN, ReLU, 1x1 convolution to <c>int(channels * 0.5)</c> filters, 2x2/2 average pooling.</summary>
    private static SymbolicTensor TransitionBlock(SymbolicTensor x, string name)
    {
        x = Normalize(x, name + "_bn");
        x = new Activation(ActivationFunction.Relu, name: name + "_relu").Call(x);
        x = new Conv2D((int)(x.Shape[2] * Reduction), 1, useBias: false, name: name + "_conv").Call(x);
        return new AveragePooling2D(2, strides: 2, name: name + "_pool").Call(x);
    }

    private static SymbolicTensor Normalize(SymbolicTensor x, string name) =>
        new BatchNormalization(epsilon: BatchNormEpsilon, name: name).Call(x);
}
