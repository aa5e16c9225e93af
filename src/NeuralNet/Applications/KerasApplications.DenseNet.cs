using NeuralNet.Models;

namespace NeuralNet.Applications;

public static partial class KerasApplications
{
    /// <summary>
    /// DenseNet121 (Keras' <c>keras.applications.DenseNet121</c>; Huang et al., 2017): dense blocks of 6, 12, 24 and 16
    /// building blocks (batch normalization, ReLU, 1x1 and 3x3 convolutions, growth rate 32, each concatenated to its
    /// input) joined by transitions that halve channels and size, as Keras' <c>densenet.py</c>. Preprocess with
    /// <see cref="ImageNetPreprocessing.Torch"/> (Keras' <c>densenet.preprocess_input</c>).
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (classifier of 1000 classes on 224 x 224 x 3 images).</param>
    /// <returns>A new model named <c>densenet121</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="ApplicationOptions"/>); the message names it.</exception>
    public static Functional DenseNet121(ApplicationOptions? options = null) => DenseNetBuilder.DenseNet121(options);

    /// <summary>DenseNet169 (Keras' <c>keras.applications.DenseNet169</c>): dense blocks of 6, 12, 32 and 32; see <see cref="DenseNet121"/>.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <returns>A new model named <c>densenet169</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional DenseNet169(ApplicationOptions? options = null) => DenseNetBuilder.DenseNet169(options);

    /// <summary>DenseNet201 (Keras' <c>keras.applications.DenseNet201</c>): dense blocks of 6, 12, 48 and 32; see <see cref="DenseNet121"/>.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <returns>A new model named <c>densenet201</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional DenseNet201(ApplicationOptions? options = null) => DenseNetBuilder.DenseNet201(options);
}
