using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Applications;

/// <summary>
/// What the <c>keras.applications</c> builders share: Keras' argument checks (<c>imagenet_utils.obtain_input_shape</c>
/// for <c>weights=None</c>), the pooling head of a model without its classifier, Keras' automatic layer names, and MobileNet's channel rules.
/// </summary>
internal static class ApplicationChecks
{
    /// <summary>Keras' default image side of every builder here (<c>default_size=224</c>).</summary>
    public const int DefaultSize = 224;

    /// <summary>Keras' smallest image side of every builder here (<c>min_size=32</c>).</summary>
    public const int MinSize = 32;

    /// <summary>
    /// Checks the options as Keras checks its arguments (<c>imagenet_utils.obtain_input_shape</c>, for <c>weights=None</c>
    /// or, with <see cref="ApplicationOptions.ImageNetWeights"/>, <c>"imagenet"</c>) and returns the input shape: the
    /// given one (three dimensions, height and width at least 32) or Keras' default (<paramref name="defaultSize"/>,
    /// <paramref name="defaultSize"/>, 3).
    /// </summary>
    /// <exception cref="ArgumentException">The shape is not (height, width, channels) or smaller than 32 x 32, the class count is below 1, or the pooling is unknown; for ImageNet weights, the channels are not 3, or with top the shape is not the default, the classes not 1000 or the classifier activation neither null nor softmax.</exception>
    public static TensorShape Check(ApplicationOptions options, string model, int defaultSize = DefaultSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ImageNetWeights)
        {
            CheckImageNet(options, model, new TensorShape(defaultSize, defaultSize, 3));
        }

        if (options.IncludeTop && options.Classes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Classes,
                $"{model} expects a positive number of classes when IncludeTop is true. Received: Classes={options.Classes}.");
        }

        if (!Enum.IsDefined(options.Pooling))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Pooling,
                $"{model} expects Pooling to be None, Average or Max. Received: Pooling={(int)options.Pooling}.");
        }

        if (options.InputShape is not TensorShape shape)
        {
            return new TensorShape(defaultSize, defaultSize, 3);
        }

        if (shape.Rank != 3)
        {
            throw new ArgumentException(
                $"{model} expects InputShape to be three integers (height, width, channels), channels last. Received: InputShape={shape}.", nameof(options));
        }

        if (shape[0] < MinSize || shape[1] < MinSize)
        {
            throw new ArgumentException(
                $"{model}: input size must be at least {MinSize}x{MinSize}. Received: InputShape={shape}.", nameof(options));
        }

        return shape;
    }

    // Keras' checks for weights="imagenet": classes 1000 and a softmax or no classifier activation with top (the builders,
    // validate_activation), the default shape with top and 3 channels (obtain_input_shape), with Keras' messages.
    private static void CheckImageNet(ApplicationOptions options, string model, TensorShape defaultShape)
    {
        if (options.IncludeTop && options.Classes != 1000)
        {
            throw new ArgumentException(
                $"{model}: if using ImageNetWeights with IncludeTop as true, Classes should be 1000. Received: Classes={options.Classes}.", nameof(options));
        }

        if (options.IncludeTop && options.ClassifierActivation is { } activation and not NeuralNet.Activations.Softmax)
        {
            throw new ArgumentException(
                $"{model}: only null and softmax activations are allowed for ClassifierActivation when using ImageNetWeights with IncludeTop as true. Received: ClassifierActivation={activation.Name}.", nameof(options));
        }

        if (options.InputShape is not TensorShape shape)
        {
            return;
        }

        if (options.IncludeTop && shape != defaultShape)
        {
            throw new ArgumentException(
                $"{model}: when setting IncludeTop=true and loading ImageNet weights, InputShape should be {defaultShape}. Received: InputShape={shape}.", nameof(options));
        }

        if (shape.Rank == 3 && shape[2] != 3)
        {
            throw new ArgumentException($"{model}: the input must have 3 channels for ImageNet weights. Received: InputShape={shape}.", nameof(options));
        }
    }

    /// <summary>
    /// The head ResNet and DenseNet share: with top, <c>avg_pool</c> and the <c>predictions</c> Dense layer; without,
    /// Keras' <c>pooling</c> named <c>avg_pool</c> / <c>max_pool</c>.
    /// </summary>
    public static SymbolicTensor AveragePoolHead(SymbolicTensor x, ApplicationOptions options) => options.IncludeTop
        ? new Dense(options.Classes, options.ClassifierActivation, name: "predictions").Call(new GlobalAveragePooling2D("avg_pool").Call(x))
        : Pool(x, options.Pooling, "avg_pool", "max_pool");

    /// <summary>The head of a model without its classifier: Keras' <c>pooling</c> (none, <c>avg</c> or <c>max</c>).</summary>
    public static SymbolicTensor Pool(SymbolicTensor x, ApplicationPooling pooling, string? averageName, string? maxName) => pooling switch
    {
        ApplicationPooling.Average => new GlobalAveragePooling2D(averageName).Call(x),
        ApplicationPooling.Max => new GlobalMaxPooling2D(maxName).Call(x),
        _ => x,
    };

    /// <summary>
    /// Keras' automatic name of the <paramref name="count"/>-th unnamed layer or operation of a kind in a model:
    /// <c>add</c>, <c>add_1</c>, <c>add_2</c>, ... (counts up <paramref name="count"/>).
    /// </summary>
    public static string Numbered(string prefix, ref int count) => count++ == 0 ? prefix : $"{prefix}_{count - 1}";

    /// <summary>
    /// Keras' <c>_make_divisible(v, divisor)</c> (MobileNet): the multiple of <paramref name="divisor"/> nearest to
    /// <paramref name="value"/> (halves rounded up), at least <paramref name="divisor"/>, and not more than 10 % below
    /// <paramref name="value"/>. Computed in double, as Python does.
    /// </summary>
    public static int MakeDivisible(double value, int divisor)
    {
        int rounded = Math.Max(divisor, (int)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }

    /// <summary>
    /// Keras' <c>imagenet_utils.correct_pad</c>: the zero padding ((top, bottom), (left, right)) before a strided
    /// <paramref name="kernel"/> x <paramref name="kernel"/> 'valid' convolution, one less before than after on an even side.
    /// </summary>
    public static ((int Top, int Bottom) Height, (int Left, int Right) Width) CorrectPad(TensorShape input, int kernel)
    {
        int correct = kernel / 2;
        int adjustRows = 1 - (input[0] % 2), adjustColumns = 1 - (input[1] % 2);
        return ((correct - adjustRows, correct), (correct - adjustColumns, correct));
    }

    /// <summary>
    /// Formats <paramref name="value"/> as Python's <c>f"{value:0.2f}"</c> (for MobileNetV2's model name): rounded from the
    /// double's value (17 significant digits, enough to tell a tie from a near one) to two decimals, ties to even.
    /// </summary>
    public static string TwoDecimals(double value)
    {
        decimal exact = decimal.Parse(value.ToString("E16", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);
        return Math.Round(exact, 2, MidpointRounding.ToEven).ToString("0.00", CultureInfo.InvariantCulture);
    }
}
