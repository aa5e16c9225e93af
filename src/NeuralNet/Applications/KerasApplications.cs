using NeuralNet.Models;

namespace NeuralNet.Applications;

/// <summary>
/// Keras' <c>keras.applications</c> architectures, built layer for layer as Keras builds them: the same layers, names,
/// order and settings, so that Keras' published weights files (<c>*_weights_tf_dim_ordering_tf_kernels*.h5</c>) can be
/// loaded into them by order with NeuralNet.Keras' <c>KerasFormat.LoadWeights</c> (except ConvNeXt's, which do not load
/// yet: their stem and downsampling blocks are nested <c>Sequential</c> groups, here two layers each). Each returns a new, randomly
/// initialized model. Preprocess images as the family's Keras module does, with <see cref="ImageNetPreprocessing"/>.
/// </summary>
/// <example>
/// <code>
/// Functional model = KerasApplications.ResNet50();                                   // 25,636,712 parameters
/// KerasFormat.LoadWeights(model, "resnet50_weights_tf_dim_ordering_tf_kernels.h5");   // NeuralNet.Keras
/// Tensor probabilities = model.Predict(ImageNetPreprocessing.Caffe(images));          // images: (n, 224, 224, 3), RGB in [0, 255]
/// </code>
/// </example>
public static partial class KerasApplications
{
    /// <summary>
    /// ResNet50 (Keras' <c>keras.applications.ResNet50</c>; He et al., 2015): stacks of 3, 4, 6 and 3 residual blocks of
    /// 1x1, 3x3 and 1x1 convolutions with batch normalization (epsilon 1.001e-5), as Keras' <c>resnet.py</c>. Preprocess
    /// with <see cref="ImageNetPreprocessing.Caffe"/> (Keras' <c>resnet.preprocess_input</c>).
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (classifier of 1000 classes on 224 x 224 x 3 images).</param>
    /// <returns>A new model named <c>resnet50</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="ApplicationOptions"/>); the message names it.</exception>
    public static Functional ResNet50(ApplicationOptions? options = null) => ResNetBuilder.ResNet50(options);

    /// <summary>ResNet101 (Keras' <c>keras.applications.ResNet101</c>): stacks of 3, 4, 23 and 3 blocks; see <see cref="ResNet50"/>.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <returns>A new model named <c>resnet101</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional ResNet101(ApplicationOptions? options = null) => ResNetBuilder.ResNet101(options);

    /// <summary>ResNet152 (Keras' <c>keras.applications.ResNet152</c>): stacks of 3, 8, 36 and 3 blocks; see <see cref="ResNet50"/>.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <returns>A new model named <c>resnet152</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional ResNet152(ApplicationOptions? options = null) => ResNetBuilder.ResNet152(options);

    /// <summary>
    /// VGG16 (Keras' <c>keras.applications.VGG16</c>; Simonyan and Zisserman, 2014): five blocks of 3x3 convolutions (2, 2,
    /// 3, 3, 3) each ending in max pooling, then two dense layers of 4096 and the classifier, as Keras' <c>vgg16.py</c>.
    /// Preprocess with <see cref="ImageNetPreprocessing.Caffe"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <returns>A new model named <c>vgg16</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional Vgg16(ApplicationOptions? options = null) => VggBuilder.Vgg16(options);

    /// <summary>VGG19 (Keras' <c>keras.applications.VGG19</c>): blocks of 2, 2, 4, 4 and 4 convolutions; see <see cref="Vgg16"/>.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <returns>A new model named <c>vgg19</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional Vgg19(ApplicationOptions? options = null) => VggBuilder.Vgg19(options);

    /// <summary>
    /// MobileNetV2 (Keras' <c>keras.applications.MobileNetV2</c>; Sandler et al., 2018): the stem, 17 inverted residual
    /// blocks and the last 1x1 convolution, batch normalization with epsilon 1e-3 and momentum 0.999, ReLU capped at 6, as
    /// Keras' <c>mobilenet_v2.py</c>. Preprocess with <see cref="ImageNetPreprocessing.Tf"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <param name="alpha">The width multiplier (Keras' <c>alpha</c>): every block's filters scaled and rounded to a multiple of 8.</param>
    /// <returns>A new model named <c>mobilenetv2_&lt;alpha&gt;_&lt;rows&gt;</c> (<c>mobilenetv2_1.00_224</c>, alpha with two
    /// decimals as Python's <c>0.2f</c> rounds them), randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not positive and finite, or with <see cref="ApplicationOptions.ImageNetWeights"/> not one Keras publishes weights for (0.35, 0.5, 0.75, 1.0, 1.3, 1.4).</exception>
    public static Functional MobileNetV2(ApplicationOptions? options = null, double alpha = 1.0) => MobileNetV2Builder.MobileNetV2(options, alpha);
}
