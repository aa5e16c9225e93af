using NeuralNet.Models;

namespace NeuralNet.Applications;

public static partial class KerasApplications
{
    /// <summary>
    /// MobileNetV3Small (Keras' <c>keras.applications.MobileNetV3Small</c>; Howard et al., 2019): the stem, 11 inverted
    /// residual blocks with squeeze and excite and hard swish, the last 1x1 convolution and a top of 1x1 convolutions, as
    /// Keras' <c>mobilenet_v3.py</c>. With <paramref name="includePreprocessing"/> the model takes images in [0, 255] (its
    /// <c>Rescaling</c> layer maps them to [-1, 1]); without, images in [-1, 1] (<see cref="ImageNetPreprocessing.Tf"/>).
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (classifier of 1000 classes on 224 x 224 x 3 images).</param>
    /// <param name="alpha">The width multiplier (Keras' <c>alpha</c>, default 1.0): every block's filters scaled and rounded to a multiple of 8; Keras publishes weights for 0.75 and 1.0.</param>
    /// <param name="minimalistic">Keras' <c>minimalistic</c>: 3x3 kernels, ReLU and no squeeze and excite (weights published for alpha 1.0).</param>
    /// <param name="dropoutRate">Keras' <c>dropout_rate</c> before the <c>logits</c> convolution (default 0.2; 0 for none), in [0, 1).</param>
    /// <param name="includePreprocessing">Keras' <c>include_preprocessing</c>: whether the model starts with <c>Rescaling(1 / 127.5, offset -1)</c>.</param>
    /// <returns>A new model named <c>MobileNetV3Small</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="ApplicationOptions"/>); the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not positive and finite, or <paramref name="dropoutRate"/> is outside [0, 1).</exception>
    public static Functional MobileNetV3Small(ApplicationOptions? options = null, double alpha = 1.0, bool minimalistic = false, double dropoutRate = 0.2, bool includePreprocessing = true) =>
        MobileNetV3Builder.Small(options, alpha, minimalistic, dropoutRate, includePreprocessing);

    /// <summary>
    /// MobileNetV3Large (Keras' <c>keras.applications.MobileNetV3Large</c>): 15 inverted residual blocks and a last point of
    /// 1280 channels; see <see cref="MobileNetV3Small"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <param name="alpha">The width multiplier (Keras' <c>alpha</c>, default 1.0).</param>
    /// <param name="minimalistic">Keras' <c>minimalistic</c>: 3x3 kernels, ReLU and no squeeze and excite.</param>
    /// <param name="dropoutRate">Keras' <c>dropout_rate</c> before the <c>logits</c> convolution (default 0.2), in [0, 1).</param>
    /// <param name="includePreprocessing">Keras' <c>include_preprocessing</c>: whether the model starts with <c>Rescaling(1 / 127.5, offset -1)</c>.</param>
    /// <returns>A new model named <c>MobileNetV3Large</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not positive and finite, or <paramref name="dropoutRate"/> is outside [0, 1).</exception>
    public static Functional MobileNetV3Large(ApplicationOptions? options = null, double alpha = 1.0, bool minimalistic = false, double dropoutRate = 0.2, bool includePreprocessing = true) =>
        MobileNetV3Builder.Large(options, alpha, minimalistic, dropoutRate, includePreprocessing);
}
