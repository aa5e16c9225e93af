using NeuralNet.Models;

namespace NeuralNet.Applications;

public static partial class KerasApplications
{
    /// <summary>
    /// ConvNeXtTiny (Keras' <c>keras.applications.ConvNeXtTiny</c>; Liu et al., 2022): stages of 3, 3, 9 and 3 ConvNeXt
    /// blocks of 96, 192, 384 and 768 channels (7x7 depthwise convolution, layer normalization, two Dense layers with GELU,
    /// <see cref="Layers.LayerScale"/>, residual), as Keras' <c>convnext.py</c>. With <paramref name="includePreprocessing"/>
    /// the model takes images in [0, 255] (its <c>Normalization</c> layer standardizes them with the ImageNet mean and variance).
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (classifier of 1000 classes on 224 x 224 x 3 images).</param>
    /// <param name="includePreprocessing">Keras' <c>include_preprocessing</c>: whether the model starts with the <c>_prestem_normalization</c> layer (only for 3 channels, as Keras).</param>
    /// <returns>A new model named <c>convnext_tiny</c> (its layer names start with the model's name, as Keras'), randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="ApplicationOptions"/>); the message names it.</exception>
    public static Functional ConvNeXtTiny(ApplicationOptions? options = null, bool includePreprocessing = true) =>
        ConvNeXtBuilder.Build(options, includePreprocessing, "tiny", "ConvNeXtTiny");

    /// <summary>ConvNeXtSmall (Keras' <c>keras.applications.ConvNeXtSmall</c>): stages of 3, 3, 27 and 3 blocks of 96, 192, 384 and 768 channels; see <see cref="ConvNeXtTiny"/>.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <param name="includePreprocessing">Keras' <c>include_preprocessing</c>.</param>
    /// <returns>A new model named <c>convnext_small</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional ConvNeXtSmall(ApplicationOptions? options = null, bool includePreprocessing = true) =>
        ConvNeXtBuilder.Build(options, includePreprocessing, "small", "ConvNeXtSmall");

    /// <summary>ConvNeXtBase (Keras' <c>keras.applications.ConvNeXtBase</c>): stages of 3, 3, 27 and 3 blocks of 128, 256, 512 and 1024 channels; see <see cref="ConvNeXtTiny"/>.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <param name="includePreprocessing">Keras' <c>include_preprocessing</c>.</param>
    /// <returns>A new model named <c>convnext_base</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional ConvNeXtBase(ApplicationOptions? options = null, bool includePreprocessing = true) =>
        ConvNeXtBuilder.Build(options, includePreprocessing, "base", "ConvNeXtBase");

    /// <summary>ConvNeXtLarge (Keras' <c>keras.applications.ConvNeXtLarge</c>): stages of 3, 3, 27 and 3 blocks of 192, 384, 768 and 1536 channels; see <see cref="ConvNeXtTiny"/>.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <param name="includePreprocessing">Keras' <c>include_preprocessing</c>.</param>
    /// <returns>A new model named <c>convnext_large</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional ConvNeXtLarge(ApplicationOptions? options = null, bool includePreprocessing = true) =>
        ConvNeXtBuilder.Build(options, includePreprocessing, "large", "ConvNeXtLarge");

    /// <summary>ConvNeXtXLarge (Keras' <c>keras.applications.ConvNeXtXLarge</c>): stages of 3, 3, 27 and 3 blocks of 256, 512, 1024 and 2048 channels; see <see cref="ConvNeXtTiny"/>.</summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults.</param>
    /// <param name="includePreprocessing">Keras' <c>include_preprocessing</c>.</param>
    /// <returns>A new model named <c>convnext_xlarge</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional ConvNeXtXLarge(ApplicationOptions? options = null, bool includePreprocessing = true) =>
        ConvNeXtBuilder.Build(options, includePreprocessing, "xlarge", "ConvNeXtXLarge");
}
