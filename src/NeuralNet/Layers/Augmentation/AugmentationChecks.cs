using System.Globalization;

namespace NeuralNet.Layers;

/// <summary>
/// Argument checks of the augmentation layers, with Keras' rules (<c>BaseImagePreprocessingLayer._set_factor</c>) and
/// messages that name the layer, the parameter and the value received.
/// </summary>
internal static class AugmentationChecks
{
    /// <summary>
    /// Keras' factor given as one number f: it must lie in [min, max]; the range is (max(−|f|, min), |f|), so
    /// (−|f|, |f|) for bounds (−1, 1) and (0, |f|) for bounds (0, 1).
    /// </summary>
    public static (double Lower, double Upper) Factor(string layer, string parameter, double factor, double min, double max)
    {
        if (!(factor >= min && factor <= max))
        {
            throw new ArgumentOutOfRangeException(parameter, factor, Expected(layer, parameter, min, max, Format(factor)));
        }

        double magnitude = Math.Abs(factor);
        return (Math.Max(-magnitude, min), magnitude);
    }

    /// <summary>Keras' factor given as a pair: each value in [min, max] (Keras checks only the outer ends), sorted.</summary>
    public static (double Lower, double Upper) Factor(string layer, string parameter, (double Lower, double Upper) factor, double min, double max)
    {
        if (!(factor.Lower >= min && factor.Lower <= max && factor.Upper >= min && factor.Upper <= max))
        {
            throw new ArgumentOutOfRangeException(parameter, factor, Expected(layer, parameter, min, max, Format(factor)));
        }

        return factor.Lower <= factor.Upper ? factor : (factor.Upper, factor.Lower);
    }

    /// <summary>Throws unless the fill mode and interpolation are defined and the fill value is finite.</summary>
    public static void Sampling(string layer, FillMode fillMode, Interpolation interpolation, double fillValue)
    {
        if (!Enum.IsDefined(fillMode))
        {
            throw new ArgumentOutOfRangeException(nameof(fillMode), fillMode, $"{layer} expects fillMode Reflect, Wrap, Constant or Nearest. Received: fillMode={fillMode}.");
        }

        if (!Enum.IsDefined(interpolation))
        {
            throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, $"{layer} expects interpolation Nearest or Bilinear. Received: interpolation={interpolation}.");
        }

        if (!double.IsFinite(fillValue))
        {
            throw new ArgumentOutOfRangeException(nameof(fillValue), fillValue, $"{layer} expects a finite fillValue. Received: fillValue={Format(fillValue)}.");
        }
    }

    /// <summary>Throws unless both ends of a value range are finite.</summary>
    public static void FiniteRange(string layer, (double Low, double High) valueRange)
    {
        if (!double.IsFinite(valueRange.Low) || !double.IsFinite(valueRange.High))
        {
            throw new ArgumentOutOfRangeException(nameof(valueRange), valueRange, $"{layer} expects a valueRange of two finite numbers. Received: valueRange={Format(valueRange)}.");
        }
    }

    /// <summary>"0.5".</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>"(a, b)".</summary>
    public static string Format((double A, double B) pair) => $"({Format(pair.A)}, {Format(pair.B)})";

    private static string Expected(string layer, string parameter, double min, double max, string received) =>
        $"{layer} expects {parameter} to be a number or a pair of numbers in [{Format(min)}, {Format(max)}]. Received: {parameter}={received}.";
}
