using System.Globalization;
using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>Argument checks shared by the 1-D and 2-D convolution layers, with Keras' rules and messages that name the layer.</summary>
internal static class ConvolutionChecks
{
    /// <summary>Throws unless <paramref name="value"/> is at least 1.</summary>
    public static void Positive(string layer, int value, string parameter, string what)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(parameter, value, string.Create(CultureInfo.InvariantCulture, $"{layer} expects a positive {what}. Received: {parameter}={value}."));
        }
    }

    /// <summary>Throws unless both entries of <paramref name="pair"/> are at least 1.</summary>
    public static void Positive(string layer, (int Height, int Width) pair, string parameter, string what)
    {
        if (pair.Height < 1 || pair.Width < 1)
        {
            throw new ArgumentOutOfRangeException(parameter, pair, string.Create(CultureInfo.InvariantCulture, $"{layer} expects positive {what}. Received: {parameter}={Pair(pair)}."));
        }
    }

    /// <summary>
    /// The window arguments of a 1-D convolution layer, in the layers' order: kernel size, strides, depth multiplier (when
    /// the layer has one), dilation rate, padding, then strides with dilation.
    /// </summary>
    public static void Window(string layer, int kernelSize, int strides, int dilationRate, Padding padding, int? depthMultiplier = null)
    {
        Positive(layer, kernelSize, nameof(kernelSize), "kernel size");
        Positive(layer, strides, nameof(strides), "stride");
        if (depthMultiplier is int multiplier)
        {
            Positive(layer, multiplier, nameof(depthMultiplier), "depth multiplier");
        }

        Positive(layer, dilationRate, nameof(dilationRate), "dilation rate");
        ValidOrSame(layer, padding);
        StridesWithDilation(layer, strides, dilationRate);
    }

    /// <summary>The 2-D form of <see cref="Window(string, int, int, int, Padding, int?)"/>.</summary>
    public static void Window(string layer, (int Height, int Width) kernelSize, (int Height, int Width) strides, (int Height, int Width) dilationRate,
        Padding padding, int? depthMultiplier = null)
    {
        Positive(layer, kernelSize, nameof(kernelSize), "kernel sizes");
        Positive(layer, strides, nameof(strides), "strides");
        if (depthMultiplier is int multiplier)
        {
            Positive(layer, multiplier, nameof(depthMultiplier), "depth multiplier");
        }

        Positive(layer, dilationRate, nameof(dilationRate), "dilation rates");
        ValidOrSame(layer, padding);
        StridesWithDilation(layer, strides, dilationRate);
    }

    /// <summary>Throws unless the padding is Valid or Same.</summary>
    public static void ValidOrSame(string layer, Padding padding)
    {
        if (padding is not (Padding.Valid or Padding.Same))
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{layer} expects padding Valid or Same. Received: padding={padding}.");
        }
    }

    /// <summary>Keras: "`strides > 1` not supported in conjunction with `dilation_rate > 1`".</summary>
    public static void StridesWithDilation(string layer, (int Height, int Width) strides, (int Height, int Width) dilation)
    {
        if (Math.Max(strides.Height, strides.Width) > 1 && Math.Max(dilation.Height, dilation.Width) > 1)
        {
            throw new ArgumentOutOfRangeException("dilationRate", dilation,
                $"{layer} cannot combine strides > 1 with dilationRate > 1, as in Keras. Received: strides={Pair(strides)}, dilationRate={Pair(dilation)}.");
        }
    }

    /// <summary>The 1-D form of <see cref="StridesWithDilation(string, ValueTuple{int, int}, ValueTuple{int, int})"/>.</summary>
    public static void StridesWithDilation(string layer, int strides, int dilation)
    {
        if (strides > 1 && dilation > 1)
        {
            throw new ArgumentOutOfRangeException("dilationRate", dilation,
                string.Create(CultureInfo.InvariantCulture, $"{layer} cannot combine strides > 1 with dilationRate > 1, as in Keras. Received: strides={strides}, dilationRate={dilation}."));
        }
    }

    /// <summary>
    /// The geometry of a 1-D (dilated) convolution over (steps, channels), as a one-row image whose kernel is one row
    /// high: Keras' 'valid' and 'same' lengths, the padding on the row's left and right. Throws when no window fits.
    /// </summary>
    public static DilatedConvGeometry SequenceGeometry(string layer, TensorShape inputShape, int channels, int kernel, int strides, int dilation, Padding padding)
    {
        if (!DilatedConvGeometry.TryCreate(1, inputShape[0], channels, (1, kernel), (1, strides), (1, dilation), padding == Padding.Same, out DilatedConvGeometry g))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{layer}: a window of {kernel} taps with dilation {dilation} spans {DilatedConvGeometry.EffectiveKernel(kernel, dilation)} steps, more than its input {inputShape.ToBatchString()} holds with padding {padding}; use 'same' padding or a longer input."),
                nameof(inputShape));
        }

        return g;
    }

    /// <summary>Keras' input-rank check, naming the layer and the shape received.</summary>
    public static void Image(string layer, TensorShape inputShape)
    {
        if (inputShape.Rank != 3)
        {
            throw new ArgumentException($"{layer} expects input of rank 3 per sample (height, width, channels), such as (None, 28, 28, 1), but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }
    }

    /// <summary>The 1-D layers' input-rank check, naming the layer and the shape received.</summary>
    public static void Sequence(string layer, TensorShape inputShape)
    {
        if (inputShape.Rank != 2)
        {
            throw new ArgumentException($"{layer} expects input of rank 2 per sample (steps, channels), such as (None, 100, 8), but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }
    }

    /// <summary>"(a, b)".</summary>
    public static string Pair((int Height, int Width) pair) => string.Create(CultureInfo.InvariantCulture, $"({pair.Height}, {pair.Width})");
}
