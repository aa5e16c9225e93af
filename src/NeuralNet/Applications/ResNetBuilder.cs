using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Applications;

/// <summary>
/// ResNet50, ResNet101 and ResNet152 (Keras' <c>keras.applications.resnet</c>; He et al., 2015), built layer for layer
/// as Keras' <c>resnet.py</c> builds them: the same layers, names (<c>conv1_pad</c>, <c>conv1_conv</c>,
/// <c>conv2_block1_1_conv</c>, ...), order and weights, so Keras' published weights files load into them by order.
/// </summary>
/// <example>
/// <code>
/// Functional model = KerasApplications.ResNet50();                                  // 25,636,712 parameters
/// KerasFormat.LoadWeights(model, "resnet50_weights_tf_dim_ordering_tf_kernels.h5");   // NeuralNet.Keras
/// Tensor probabilities = model.Predict(ImageNetPreprocessing.Caffe(images));   // images: (n, 224, 224, 3), RGB in [0, 255]
/// </code>
/// </example>
/// <remarks>
/// Each residual block (Keras' <c>residual_block_v1</c>) is 1x1, 3x3 ('same') and 1x1 convolutions with biases, each
/// followed by batch normalization (epsilon 1.001e-5) and ReLU except the last, added to the shortcut (a strided 1x1
/// convolution and batch normalization in a stack's first block, the input elsewhere) and passed through a ReLU. The
/// stride of a stack is on its first block's first 1x1 convolution and shortcut, as in Keras' resnet.py.
/// </remarks>
internal static class ResNetBuilder
{
    /// <summary>Keras' batch-normalization epsilon in ResNet.</summary>
    private const float BatchNormEpsilon = 1.001e-5f;

    /// <summary>Builds ResNet50 (Keras' <c>keras.applications.ResNet50</c>): stacks of 3, 4, 6 and 3 blocks.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (classifier of 1000 classes on 224 x 224 x 3 images).</param>
    /// <returns>A new model named <c>resnet50</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="ApplicationOptions"/>); the message names it.</exception>
    internal static Functional ResNet50(ApplicationOptions? options = null) => Build(options, "resnet50", "ResNet50", [3, 4, 6, 3]);

    /// <summary>Builds ResNet101 (Keras' <c>keras.applications.ResNet101</c>): stacks of 3, 4, 23 and 3 blocks.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <returns>A new model named <c>resnet101</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    internal static Functional ResNet101(ApplicationOptions? options = null) => Build(options, "resnet101", "ResNet101", [3, 4, 23, 3]);

    /// <summary>Builds ResNet152 (Keras' <c>keras.applications.ResNet152</c>): stacks of 3, 8, 36 and 3 blocks.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <returns>A new model named <c>resnet152</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    internal static Functional ResNet152(ApplicationOptions? options = null) => Build(options, "resnet152", "ResNet152", [3, 8, 36, 3]);


    private static Functional Build(ApplicationOptions? options, string modelName, string display, int[] blocks)
    {
        options ??= new ApplicationOptions();
        TensorShape shape = ApplicationChecks.Check(options, display);
        var image = new Input(shape);

        SymbolicTensor x = new ZeroPadding2D(((3, 3), (3, 3)), name: "conv1_pad").Call(image);
        x = new Conv2D(64, 7, strides: 2, name: "conv1_conv").Call(x);
        x = new BatchNormalization(epsilon: BatchNormEpsilon, name: "conv1_bn").Call(x);
        x = new Activation(ActivationFunction.Relu, name: "conv1_relu").Call(x);
        x = new ZeroPadding2D(((1, 1), (1, 1)), name: "pool1_pad").Call(x);
        x = new MaxPooling2D(3, strides: 2, name: "pool1_pool").Call(x);

        x = Stack(x, 64, blocks[0], stride: 1, "conv2");
        x = Stack(x, 128, blocks[1], stride: 2, "conv3");
        x = Stack(x, 256, blocks[2], stride: 2, "conv4");
        x = Stack(x, 512, blocks[3], stride: 2, "conv5");

        return new Functional(image, ApplicationChecks.AveragePoolHead(x, options), options.Name ?? modelName, options.Seed);
    }

    /// <summary>Keras' <c>stack_residual_blocks_v1</c>: a block with a convolution shortcut, then blocks with identity shortcuts.</summary>
    private static SymbolicTensor Stack(SymbolicTensor x, int filters, int blocks, int stride, string name)
    {
        x = Block(x, filters, stride, convolutionShortcut: true, name + "_block1");
        for (int i = 2; i <= blocks; i++)
        {
            x = Block(x, filters, 1, convolutionShortcut: false, name + "_block" + i);
        }

        return x;
    }

    /// <summary>Keras' <c>residual_block_v1</c> with its default 3x3 kernel: the layers are created in Keras' order.</summary>
    private static SymbolicTensor Block(SymbolicTensor x, int filters, int stride, bool convolutionShortcut, string name)
    {
        SymbolicTensor shortcut = x;
        if (convolutionShortcut)
        {
            shortcut = new Conv2D(4 * filters, 1, strides: stride, name: name + "_0_conv").Call(x);
            shortcut = new BatchNormalization(epsilon: BatchNormEpsilon, name: name + "_0_bn").Call(shortcut);
        }

        x = new Conv2D(filters, 1, strides: stride, name: name + "_1_conv").Call(x);
        x = new BatchNormalization(epsilon: BatchNormEpsilon, name: name + "_1_bn").Call(x);
        x = new Activation(ActivationFunction.Relu, name: name + "_1_relu").Call(x);

        x = new Conv2D(filters, 3, padding: Padding.Same, name: name + "_2_conv").Call(x);
        x = new BatchNormalization(epsilon: BatchNormEpsilon, name: name + "_2_bn").Call(x);
        x = new Activation(ActivationFunction.Relu, name: name + "_2_relu").Call(x);

        x = new Conv2D(4 * filters, 1, name: name + "_3_conv").Call(x);
        x = new BatchNormalization(epsilon: BatchNormEpsilon, name: name + "_3_bn").Call(x);

        x = new Add(name + "_add").Call(shortcut, x);
        return new Activation(ActivationFunction.Relu, name: name + "_out").Call(x);
    }
}
