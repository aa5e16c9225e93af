using System.Globalization;

namespace NeuralNet;

/// <summary>
/// Hyper-parameters arrive as double, as C# reads Keras' literals (<c>1e-3</c>, <c>0.9</c>, <c>1.0 / 255</c>), and are
/// used as float32, as Keras' variables are. Checks run on the float32 value that will be used, so that a finite double
/// beyond float32's range (1e39, infinity as float32) or a positive one that rounds to 0 (1e-50) is refused where
/// infinity or 0 is; messages show the value the caller gave, through <see cref="Format"/>.
/// </summary>
internal static class Float32Hyperparameter
{
    /// <summary>
    /// <paramref name="value"/> for an error message: a value that is exactly a float32 (a float argument) as that float's
    /// shortest form, as the messages showed it when the parameters were float (0.9f shows 0.9, not 0.8999999761581421);
    /// any other double as given, followed by what it becomes as float32 when that reads differently
    /// (<c>1E+39 (beyond float32's range, ±3.4028235E+38)</c>, <c>1E-50 (0 as float32)</c>).
    /// </summary>
    public static string Format(double value)
    {
        float single = (float)value;
        if (single == value || double.IsNaN(value))
        {
            return single.ToString(CultureInfo.InvariantCulture);
        }

        string given = value.ToString(CultureInfo.InvariantCulture);
        string asSingle = single.ToString(CultureInfo.InvariantCulture);
        return float.IsInfinity(single) ? $"{given} (beyond float32's range, ±{float.MaxValue.ToString(CultureInfo.InvariantCulture)})"
            : asSingle == given ? given
            : $"{given} ({asSingle} as float32)";
    }
}
