using System.Globalization;

namespace NeuralNet.Layers;

/// <summary>
/// Argument checks of the augmentation layers, with Keras' rules and messages that name the layer, the parameter, the
/// value received and the rule.
/// </summary>
/// <remarks>
/// Keras has two rules for a factor given as a pair. <c>BaseImagePreprocessingLayer._set_factor</c> (RandomRotation,
/// RandomContrast, RandomBrightness: <c>BaseFactor</c>) refuses (a, b) only when a &gt; max or b &lt; min, as given, so
/// an end may lie outside the bounds; RandomZoom and RandomTranslation (their own <c>_set_factor</c> and
/// <c>_check_factor_range</c>: <c>Factor</c>) check each value. A number must lie within the bounds in both. Values that
/// are not finite are refused here (Keras lets NaN through its comparisons and then draws NaN).
/// </remarks>
internal static class AugmentationChecks
{
    /// <summary>
    /// Keras' factor given as one number f: it must lie in [min, max]; the range is (max(−|f|, min), |f|), so
    /// (−|f|, |f|) for bounds (−1, 1) and (0, |f|) for bounds (0, 1). The message gives the per-value rule.
    /// </summary>
    public static (double Lower, double Upper) Factor(string layer, string parameter, double factor, double min, double max) =>
        Number(factor, min, max) ?? throw new ArgumentOutOfRangeException(parameter, factor, Expected(layer, parameter, min, max, Format(factor)));

    /// <summary>
    /// RandomShear's factor given as one number f (its <c>_set_factor_with_name</c>): f must lie in [0, max]; the range is
    /// (−f, f), although Keras' docstring says (0, f). The message gives the per-value rule.
    /// </summary>
    public static (double Lower, double Upper) SymmetricFactor(string layer, string parameter, double factor, double max) =>
        factor >= 0 && factor <= max
            ? (-factor, factor)
            : throw new ArgumentOutOfRangeException(parameter, factor, Expected(layer, parameter, 0, max, Format(factor)));

    /// <summary>RandomZoom's and RandomTranslation's factor given as a pair: each value in [min, max]; sorted.</summary>
    public static (double Lower, double Upper) Factor(string layer, string parameter, (double Lower, double Upper) factor, double min, double max)
    {
        if (!(factor.Lower >= min && factor.Lower <= max && factor.Upper >= min && factor.Upper <= max))
        {
            throw new ArgumentOutOfRangeException(parameter, factor, Expected(layer, parameter, min, max, Format(factor)));
        }

        return Sorted(factor);
    }

    /// <summary>
    /// <c>BaseImagePreprocessingLayer._set_factor</c>'s number: in [min, max], read as <c>Factor</c> reads it; the
    /// message gives the base layers' pair rule.
    /// </summary>
    public static (double Lower, double Upper) BaseFactor(string layer, string parameter, double factor, double min, double max) =>
        Number(factor, min, max) ?? throw new ArgumentOutOfRangeException(parameter, factor, ExpectedBase(layer, parameter, min, max, Format(factor)));

    /// <summary>
    /// <c>BaseImagePreprocessingLayer._set_factor</c>'s pair (a, b): refused only when a &gt; max or b &lt; min (as given,
    /// before sorting) or a value is not finite; sorted. So RandomContrast's (0.2, 1.5) is kept: contrast in [0.8, 2.5].
    /// </summary>
    public static (double Lower, double Upper) BaseFactor(string layer, string parameter, (double Lower, double Upper) factor, double min, double max)
    {
        if (!(double.IsFinite(factor.Lower) && double.IsFinite(factor.Upper) && factor.Lower <= max && factor.Upper >= min))
        {
            throw new ArgumentOutOfRangeException(parameter, factor, ExpectedBase(layer, parameter, min, max, Format(factor)));
        }

        return Sorted(factor);
    }

    /// <summary>Throws unless the fill mode and interpolation are defined and the fill value is finite.</summary>
    public static void Sampling(string layer, FillMode fillMode, Interpolation interpolation, double fillValue)
    {
        if (!Enum.IsDefined(fillMode))
        {
            throw new ArgumentOutOfRangeException(nameof(fillMode), fillMode, $"{layer} expects fillMode Reflect, Wrap, Constant or Nearest. Received: fillMode={fillMode}.");
        }

        if (interpolation is not (Interpolation.Nearest or Interpolation.Bilinear))
        {
            // Keras' affine_transform takes these two only; bicubic, Lanczos and area are resizes (Resizing, UpSampling2D).
            throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, $"{layer} expects interpolation Nearest or Bilinear. Received: interpolation={interpolation}.");
        }

        if (!double.IsFinite(fillValue))
        {
            throw new ArgumentOutOfRangeException(nameof(fillValue), fillValue, $"{layer} expects a finite fillValue. Received: fillValue={Format(fillValue)}.");
        }
    }

    /// <summary>
    /// The colour layers' input check: channels-last RGB images (height, width, 3), as Keras' <c>rgb_to_hsv</c> and
    /// <c>rgb_to_grayscale</c> require.
    /// </summary>
    public static void Rgb(string layer, TensorShape inputShape)
    {
        ConvolutionChecks.Image(layer, inputShape);
        if (inputShape[2] != 3)
        {
            throw new ArgumentException($"{layer} expects RGB images of 3 channels (height, width, 3), such as (None, 32, 32, 3), but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }
    }

    /// <summary>A number in [min, max] (the colour layers' rule for a factor that is a probability), else the named error.</summary>
    public static double Probability(string layer, string parameter, double factor, double min, double max) =>
        factor >= min && factor <= max
            ? factor
            : throw new ArgumentOutOfRangeException(parameter, factor, $"{layer} expects {parameter} to be a number in [{Format(min)}, {Format(max)}]. Received: {parameter}={Format(factor)}.");

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

    private static (double Lower, double Upper)? Number(double factor, double min, double max)
    {
        if (!(factor >= min && factor <= max))
        {
            return null;
        }

        double magnitude = Math.Abs(factor);
        return (Math.Max(-magnitude, min), magnitude);
    }

    private static (double Lower, double Upper) Sorted((double Lower, double Upper) factor) =>
        factor.Lower <= factor.Upper ? factor : (factor.Upper, factor.Lower);

    private static string Expected(string layer, string parameter, double min, double max, string received) =>
        $"{layer} expects {parameter} to be a number or a pair of numbers in [{Format(min)}, {Format(max)}]. Received: {parameter}={received}.";

    private static string ExpectedBase(string layer, string parameter, double min, double max, string received) =>
        $"{layer} expects {parameter} to be a number in [{Format(min)}, {Format(max)}] or a pair (a, b) of finite numbers with a <= {Format(max)} and b >= {Format(min)} (Keras' rule; the pair is then sorted). Received: {parameter}={received}.";
}
