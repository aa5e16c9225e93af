using NeuralNet.Models;

namespace NeuralNet.Applications;

// EfficientNet (Keras' efficientnet.py) and EfficientNetV2 (efficientnet_v2.py).
public static partial class KerasApplications
{
    /// <summary>
    /// EfficientNetB0 (Keras' <c>keras.applications.EfficientNetB0</c>; Tan and Le, 2019): inverted residual blocks with
    /// squeeze-and-excitation and swish, batch normalization with Keras' defaults, as Keras' <c>efficientnet.py</c>. The
    /// model preprocesses its input itself (a <c>Rescaling</c> by 1/255 and a <c>Normalization</c> whose statistics come
    /// with the weights): give it RGB images with values in [0, 255] (Keras' <c>efficientnet.preprocess_input</c> is a
    /// pass-through). Set <see cref="ApplicationOptions.ImageNetWeights"/> before loading Keras' <c>efficientnetb0.h5</c>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (classifier of 1000 classes on 224 x 224 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetb0</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="ApplicationOptions"/>); the message names it.</exception>
    public static Functional EfficientNetB0(ApplicationOptions? options = null) => EfficientNetBuilder.Build(options, 0);

    /// <summary>
    /// EfficientNetB1 (Keras' <c>keras.applications.EfficientNetB1</c>): B0 scaled by width 1.0 and depth 1.1, default
    /// input 240 x 240 x 3, dropout 0.2 before the classifier; see <see cref="EfficientNetB0"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (240 x 240 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetb1</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional EfficientNetB1(ApplicationOptions? options = null) => EfficientNetBuilder.Build(options, 1);

    /// <summary>
    /// EfficientNetB2 (Keras' <c>keras.applications.EfficientNetB2</c>): B0 scaled by width 1.1 and depth 1.2, default
    /// input 260 x 260 x 3, dropout 0.3 before the classifier; see <see cref="EfficientNetB0"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (260 x 260 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetb2</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional EfficientNetB2(ApplicationOptions? options = null) => EfficientNetBuilder.Build(options, 2);

    /// <summary>
    /// EfficientNetB3 (Keras' <c>keras.applications.EfficientNetB3</c>): B0 scaled by width 1.2 and depth 1.4, default
    /// input 300 x 300 x 3, dropout 0.3 before the classifier; see <see cref="EfficientNetB0"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (300 x 300 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetb3</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional EfficientNetB3(ApplicationOptions? options = null) => EfficientNetBuilder.Build(options, 3);

    /// <summary>
    /// EfficientNetB4 (Keras' <c>keras.applications.EfficientNetB4</c>): B0 scaled by width 1.4 and depth 1.8, default
    /// input 380 x 380 x 3, dropout 0.4 before the classifier; see <see cref="EfficientNetB0"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (380 x 380 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetb4</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional EfficientNetB4(ApplicationOptions? options = null) => EfficientNetBuilder.Build(options, 4);

    /// <summary>
    /// EfficientNetB5 (Keras' <c>keras.applications.EfficientNetB5</c>): B0 scaled by width 1.6 and depth 2.2, default
    /// input 456 x 456 x 3, dropout 0.4 before the classifier; see <see cref="EfficientNetB0"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (456 x 456 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetb5</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional EfficientNetB5(ApplicationOptions? options = null) => EfficientNetBuilder.Build(options, 5);

    /// <summary>
    /// EfficientNetB6 (Keras' <c>keras.applications.EfficientNetB6</c>): B0 scaled by width 1.8 and depth 2.6, default
    /// input 528 x 528 x 3, dropout 0.5 before the classifier; see <see cref="EfficientNetB0"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (528 x 528 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetb6</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional EfficientNetB6(ApplicationOptions? options = null) => EfficientNetBuilder.Build(options, 6);

    /// <summary>
    /// EfficientNetB7 (Keras' <c>keras.applications.EfficientNetB7</c>): B0 scaled by width 2.0 and depth 3.1, default
    /// input 600 x 600 x 3, dropout 0.5 before the classifier; see <see cref="EfficientNetB0"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (600 x 600 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetb7</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional EfficientNetB7(ApplicationOptions? options = null) => EfficientNetBuilder.Build(options, 7);

    /// <summary>
    /// EfficientNetV2B0 (Keras' <c>keras.applications.EfficientNetV2B0</c>; Tan and Le, 2021): fused and depthwise inverted
    /// residual blocks, squeeze-and-excitation in the later stages, batch normalization with momentum 0.9, as Keras'
    /// <c>efficientnet_v2.py</c>. With <see cref="ApplicationOptions.IncludePreprocessing"/> (the default) the model takes
    /// RGB images in [0, 255] (Keras' <c>efficientnet_v2.preprocess_input</c> is a pass-through).
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (classifier of 1000 classes on 224 x 224 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetv2-b0</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="ApplicationOptions"/>); the message names it.</exception>
    public static Functional EfficientNetV2B0(ApplicationOptions? options = null) => EfficientNetV2Builder.Build(options, "b0");

    /// <summary>
    /// EfficientNetV2B1 (Keras' <c>keras.applications.EfficientNetV2B1</c>): V2B0 scaled by depth 1.1, default input 240 x 240 x 3; see
    /// <see cref="EfficientNetV2B0"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (240 x 240 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetv2-b1</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional EfficientNetV2B1(ApplicationOptions? options = null) => EfficientNetV2Builder.Build(options, "b1");

    /// <summary>
    /// EfficientNetV2B2 (Keras' <c>keras.applications.EfficientNetV2B2</c>): V2B0 scaled by width 1.1 and depth 1.2, default input 260 x 260 x 3; see
    /// <see cref="EfficientNetV2B0"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (260 x 260 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetv2-b2</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional EfficientNetV2B2(ApplicationOptions? options = null) => EfficientNetV2Builder.Build(options, "b2");

    /// <summary>
    /// EfficientNetV2B3 (Keras' <c>keras.applications.EfficientNetV2B3</c>): V2B0 scaled by width 1.2 and depth 1.4, default input 300 x 300 x 3; see
    /// <see cref="EfficientNetV2B0"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (300 x 300 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetv2-b3</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional EfficientNetV2B3(ApplicationOptions? options = null) => EfficientNetV2Builder.Build(options, "b3");

    /// <summary>
    /// EfficientNetV2S (Keras' <c>keras.applications.EfficientNetV2S</c>): six stages of 2 to 15 blocks (24 to 256 filters), default input 384 x 384 x 3; see
    /// <see cref="EfficientNetV2B0"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (384 x 384 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetv2-s</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional EfficientNetV2S(ApplicationOptions? options = null) => EfficientNetV2Builder.Build(options, "s");

    /// <summary>
    /// EfficientNetV2M (Keras' <c>keras.applications.EfficientNetV2M</c>): seven stages of 3 to 18 blocks (24 to 512 filters), default input 480 x 480 x 3; see
    /// <see cref="EfficientNetV2B0"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (480 x 480 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetv2-m</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional EfficientNetV2M(ApplicationOptions? options = null) => EfficientNetV2Builder.Build(options, "m");

    /// <summary>
    /// EfficientNetV2L (Keras' <c>keras.applications.EfficientNetV2L</c>): seven stages of 4 to 25 blocks (32 to 640 filters), default input 480 x 480 x 3; see
    /// <see cref="EfficientNetV2B0"/>.
    /// </summary>
    /// <param name="options">Keras' arguments; null for Keras' defaults (480 x 480 x 3 images).</param>
    /// <returns>A new model named <c>efficientnetv2-l</c>, randomly initialized.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static Functional EfficientNetV2L(ApplicationOptions? options = null) => EfficientNetV2Builder.Build(options, "l");
}
