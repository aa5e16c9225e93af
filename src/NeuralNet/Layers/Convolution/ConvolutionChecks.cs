using System.Globalization;

namespace NeuralNet.Layers;

/// <summary>Argument checks shared by the 2-D convolution layers, with Keras' rules and messages that name the layer.</summary>
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

    /// <summary>Keras' input-rank check, naming the layer and the shape received.</summary>
    public static void Image(string layer, TensorShape inputShape)
    {
        if (inputShape.Rank != 3)
        {
            throw new ArgumentException($"{layer} expects input of rank 3 per sample (height, width, channels), such as (None, 28, 28, 1), but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }
    }

    /// <summary>"(a, b)".</summary>
    public static string Pair((int Height, int Width) pair) => string.Create(CultureInfo.InvariantCulture, $"({pair.Height}, {pair.Width})");
}
