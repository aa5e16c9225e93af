using NeuralNet.Activations;

namespace NeuralNet.Applications;

/// <summary>
/// The arguments every <c>keras.applications</c> builder of <see cref="KerasApplications"/> shares, under Keras' names and with Keras' defaults. Keras' <c>weights</c> argument has no place
/// here: a builder returns a randomly initialized model, and pretrained weights are loaded afterwards with
/// <c>NeuralNet.Keras.KerasFormat.LoadWeights(model, path)</c> (see docs/applications.md).
/// </summary>
/// <example>
/// <code>
/// var features = KerasApplications.ResNet50(new ApplicationOptions
/// {
///     IncludeTop = false,
///     InputShape = new TensorShape(160, 160, 3),
///     Pooling = ApplicationPooling.Average,
/// });
/// </code>
/// </example>
public sealed class ApplicationOptions
{
    /// <summary>
    /// Whether the model ends with Keras' classifier (Keras' <c>include_top</c>, default true): global average pooling and
    /// a <c>predictions</c> Dense layer for ResNet, MobileNetV2 and DenseNet (<c>avg_pool</c>, <c>predictions</c>);
    /// <c>flatten</c>, <c>fc1</c>, <c>fc2</c> and <c>predictions</c> for VGG; <c>avg_pool</c>, <c>top_dropout</c> and
    /// <c>predictions</c> for EfficientNet and EfficientNetV2; for MobileNetV3 global average pooling
    /// keeping the dimensions, the 1x1 convolutions <c>conv_2</c> and <c>logits</c> (with dropout between them when
    /// dropoutRate is above 0), a flatten and the <c>predictions</c> activation; for ConvNeXt <c>&lt;name&gt;_head_gap</c>,
    /// <c>&lt;name&gt;_head_layernorm</c> and <c>&lt;name&gt;_head_dense</c>.
    /// </summary>
    public bool IncludeTop { get; init; } = true;

    /// <summary>
    /// The shape of one image, (height, width, channels), channels last (Keras' <c>input_shape</c>). Height and width
    /// must be at least 32 (Keras' <c>min_size</c>). Null gives Keras' default (224, 224, 3). Keras builds a model on
    /// (None, None, 3) when <see cref="IncludeTop"/> is false and no shape is given; NeuralNet's shapes are static, so
    /// the default size is used there too.
    /// </summary>
    public TensorShape? InputShape { get; init; }

    /// <summary>The pooling after the last block when <see cref="IncludeTop"/> is false (Keras' <c>pooling</c>, default none).</summary>
    public ApplicationPooling Pooling { get; init; } = ApplicationPooling.None;

    /// <summary>The number of classes of the <c>predictions</c> layer when <see cref="IncludeTop"/> is true (Keras' <c>classes</c>, default 1000).</summary>
    public int Classes { get; init; } = 1000;

    /// <summary>
    /// The activation of the <c>predictions</c> layer (Keras' <c>classifier_activation</c>, default softmax); null for
    /// none, which returns logits, as Keras' <c>classifier_activation=None</c>.
    /// </summary>
    public ActivationFunction? ClassifierActivation { get; init; } = ActivationFunction.Softmax;

    /// <summary>The model's name; null for Keras' name of the architecture (<c>resnet50</c>, <c>vgg16</c>, <c>mobilenetv2_1.00_224</c>, ...).</summary>
    public string? Name { get; init; }

    /// <summary>The seed of the model's weight initialization (<see cref="Models.Functional"/>'s seed).</summary>
    public long Seed { get; init; }

    /// <summary>
    /// Whether the model rescales its input itself (Keras' <c>include_preprocessing</c>, default true), for the builders
    /// that take it (EfficientNetV2): images then go in with values in [0, 255]. False leaves the preprocessing layers out.
    /// Other builders ignore it (EfficientNet B0-B7 always include theirs, as in Keras).
    /// </summary>
    public bool IncludePreprocessing { get; init; } = true;

    /// <summary>
    /// Whether the model is built as Keras builds it for <c>weights="imagenet"</c> (default false, Keras' <c>weights=None</c>);
    /// the weights file must still be loaded afterwards. Keras then requires 3 channels, and with <see cref="IncludeTop"/>
    /// the default input shape (MobileNetV2: the given one if square of side 96, 128, 160, 192 or 224), 1000 classes and a
    /// softmax or no <see cref="ClassifierActivation"/>; EfficientNet B0-B7 get Keras' extra <c>Rescaling</c> by
    /// 1/sqrt(stddev) per channel, which the published weights files need (their normalization stores the standard
    /// deviations as variances).
    /// </summary>
    public bool ImageNetWeights { get; init; }
}
