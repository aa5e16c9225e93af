namespace NeuralNet.Initializers;

/// <summary>
/// The draws behind every random initializer (and the check of a normal's parameters), from one <see cref="SeededRandom"/> per fill: uniforms, normals, and Keras'
/// <c>VarianceScaling</c> formulas (with n = max(1, fan): a truncated normal of standard deviation sqrt(scale / n) / 0.8796...,
/// a normal of standard deviation sqrt(scale / n), or a uniform in [-sqrt(3 scale / n), sqrt(3 scale / n)]), shared by
/// <see cref="VarianceScaling"/> and the Glorot, He and LeCun initializers so that they draw the same bits.
/// </summary>
internal static class RandomFill
{
    // The standard deviation of a unit normal truncated to [-2, 2]; dividing by it restores the wanted variance.
    public const double TruncatedNormalStandardDeviation = 0.87962566103423978;

    /// <summary>The checks of a normal's parameters: a finite mean and a finite standard deviation of at least 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Either is out of range; the message names <paramref name="initializer"/> and the parameter.</exception>
    public static void CheckNormal(string initializer, double mean, double standardDeviation)
    {
        if (!double.IsFinite(mean))
        {
            throw new ArgumentOutOfRangeException(nameof(mean), mean, $"{initializer} expects a finite mean but got mean={mean}.");
        }

        if (!(standardDeviation >= 0) || double.IsInfinity(standardDeviation))
        {
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, $"{initializer} expects a finite standardDeviation >= 0 but got standardDeviation={standardDeviation}.");
        }
    }

    public static double FanFor(TensorShape shape, VarianceScalingMode mode)
    {
        (long fanIn, long fanOut) = Fans.Compute(shape);
        double fan = mode switch
        {
            VarianceScalingMode.FanIn => fanIn,
            VarianceScalingMode.FanOut => fanOut,
            _ => (fanIn + fanOut) / 2.0,
        };
        return Math.Max(1.0, fan);
    }

    public static void FillUniform(Span<float> values, TensorShape shape, long seed, double scale, VarianceScalingMode mode)
    {
        double limit = Math.Sqrt(3.0 * scale / FanFor(shape, mode));
        Uniform(values, seed, -limit, limit);
    }

    public static void FillNormal(Span<float> values, TensorShape shape, long seed, double scale, VarianceScalingMode mode) =>
        Normal(values, seed, 0.0, Math.Sqrt(scale / FanFor(shape, mode)));

    public static void FillTruncatedNormal(Span<float> values, TensorShape shape, long seed, double scale, VarianceScalingMode mode)
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
