namespace NeuralNet.Initializers;

/// <summary>Which fan a variance-scaling initializer divides its scale by.</summary>
internal enum FanMode
{
    FanIn,
    FanOut,
    FanAverage,
}

/// <summary>
/// Keras' <c>VarianceScaling</c>: with n = max(1, fan), a truncated normal of standard deviation
/// sqrt(scale / n) / 0.8796..., or a uniform in [-sqrt(3 scale / n), sqrt(3 scale / n)].
/// </summary>
internal static class VarianceScaling
{
    // The standard deviation of a unit normal truncated to [-2, 2]; dividing by it restores the wanted variance.
    private const double TruncatedNormalStandardDeviation = 0.87962566103423978;

    public static double FanFor(TensorShape shape, FanMode mode)
    {
        (long fanIn, long fanOut) = Fans.Compute(shape);
        double fan = mode switch
        {
            FanMode.FanIn => fanIn,
            FanMode.FanOut => fanOut,
            _ => (fanIn + fanOut) / 2.0,
        };
        return Math.Max(1.0, fan);
    }

    public static void FillUniform(Span<float> values, TensorShape shape, long seed, double scale, FanMode mode)
    {
        double limit = Math.Sqrt(3.0 * scale / FanFor(shape, mode));
        Uniform(values, seed, -limit, limit);
    }

    public static void FillTruncatedNormal(Span<float> values, TensorShape shape, long seed, double scale, FanMode mode)
    {
        double standardDeviation = Math.Sqrt(scale / FanFor(shape, mode)) / TruncatedNormalStandardDeviation;
        TruncatedNormal(values, seed, 0.0, standardDeviation);
    }

    /// <summary>Uniform in [minimum, maximum).</summary>
    public static void Uniform(Span<float> values, long seed, double minimum, double maximum)
    {
        var random = new SeededRandom(seed);
        double width = maximum - minimum;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(minimum + (width * random.NextDouble()));
        }
    }

    /// <summary>Normal samples; with <paramref name="truncate"/>, redrawn until within two standard deviations.</summary>
    public static void Normal(Span<float> values, long seed, double mean, double standardDeviation, bool truncate = false)
    {
        var random = new SeededRandom(seed);
        for (int i = 0; i < values.Length; i++)
        {
            float z = random.NextNormal();
            while (truncate && Math.Abs(z) > 2f)
            {
                z = random.NextNormal();
            }

            values[i] = (float)(mean + (standardDeviation * z));
        }
    }

    public static void TruncatedNormal(Span<float> values, long seed, double mean, double standardDeviation) =>
        Normal(values, seed, mean, standardDeviation, truncate: true);
}
