namespace NeuralNet.Kernels;

/// <summary>
/// A float64 value with its derivatives with respect to the three channels of one pixel (forward-mode automatic
/// differentiation). The colour layers run Keras' per-pixel formula on these to get the 3×3 Jacobian that their
/// backward pass applies: the gradient TensorFlow's autodiff takes through the same operations, branch for branch (a
/// tied maximum or minimum gives its gradient to the first argument; JAX and PyTorch would split it).
/// </summary>
internal readonly record struct PixelDual(double Value, double D0, double D1, double D2)
{
    /// <summary>The channel <paramref name="channel"/> of a pixel, as an independent variable.</summary>
    public static PixelDual Channel(double value, int channel) =>
        new(value, channel == 0 ? 1 : 0, channel == 1 ? 1 : 0, channel == 2 ? 1 : 0);

    /// <summary>A constant.</summary>
    public static implicit operator PixelDual(double value) => new(value, 0, 0, 0);

    /// <summary>Sum.</summary>
    public static PixelDual operator +(PixelDual a, PixelDual b) => new(a.Value + b.Value, a.D0 + b.D0, a.D1 + b.D1, a.D2 + b.D2);

    /// <summary>Difference.</summary>
    public static PixelDual operator -(PixelDual a, PixelDual b) => new(a.Value - b.Value, a.D0 - b.D0, a.D1 - b.D1, a.D2 - b.D2);

    /// <summary>Product.</summary>
    public static PixelDual operator *(PixelDual a, PixelDual b) =>
        new(a.Value * b.Value, (a.D0 * b.Value) + (a.Value * b.D0), (a.D1 * b.Value) + (a.Value * b.D1), (a.D2 * b.Value) + (a.Value * b.D2));

    /// <summary>Quotient.</summary>
    public static PixelDual operator /(PixelDual a, PixelDual b)
    {
        double q = a.Value / b.Value, inv = 1 / b.Value;
        return new(q, (a.D0 - (q * b.D0)) * inv, (a.D1 - (q * b.D1)) * inv, (a.D2 - (q * b.D2)) * inv);
    }

    /// <summary>The derivative with respect to channel <paramref name="channel"/>.</summary>
    public double D(int channel) => channel switch { 0 => D0, 1 => D1, _ => D2 };

    /// <summary>The larger of the two (the first on a tie), as <c>maximum</c> selects.</summary>
    public static PixelDual Max(PixelDual a, PixelDual b) => b.Value > a.Value ? b : a;

    /// <summary>The smaller of the two (the first on a tie).</summary>
    public static PixelDual Min(PixelDual a, PixelDual b) => b.Value < a.Value ? b : a;

    /// <summary>|a|, slope sign(a) (+1 at 0).</summary>
    public static PixelDual Abs(PixelDual a) => a.Value < 0 ? new(-a.Value, -a.D0, -a.D1, -a.D2) : a;

    /// <summary>clip(a, low, high): slope 1 inside [low, high], 0 where the clip is active.</summary>
    public static PixelDual Clip(PixelDual a, double low, double high) =>
        a.Value < low ? low : a.Value > high ? high : a;
}
