namespace NeuralNet.Losses;

/// <summary>The focal losses' modulating factor m^gamma (m = 1 − p_t, Lin et al. 2018) and its slope, and their checks.</summary>
internal static class FocalFactor
{
    /// <summary>m^gamma (1 when gamma is 0, 0^0 included, as numpy's power gives).</summary>
    public static double Value(double m, double gamma) => Math.Pow(m, gamma);

    /// <summary>
    /// d(m^gamma)/dm = gamma m^(gamma − 1). At m = 0 it is taken as 0 (1 for gamma = 1): for gamma &lt; 1 the true slope is
    /// infinite there, which only a prediction exactly equal to its 0/1 target reaches.
    /// </summary>
    public static double Slope(double m, double gamma) =>
        gamma == 0 ? 0 : m > 0 ? gamma * Math.Pow(m, gamma - 1) : gamma == 1 ? 1 : 0;

    /// <summary>Returns <paramref name="gamma"/> when it is finite and not negative, else throws naming it.</summary>
    public static double CheckGamma(string loss, double gamma) =>
        gamma >= 0 && double.IsFinite(gamma)
            ? gamma
            : throw new ArgumentOutOfRangeException(nameof(gamma), gamma,
                FormattableString.Invariant($"{loss} expects a finite gamma >= 0 but got gamma={gamma}."));
}
