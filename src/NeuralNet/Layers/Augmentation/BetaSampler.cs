namespace NeuralNet.Layers;

/// <summary>
/// Beta and Gamma draws from a <see cref="SeededRandom"/>, for the batch-mixing layers (<see cref="MixUp"/>,
/// <see cref="CutMix"/>). Keras' <c>random.beta(a, b)</c> is X / (X + Y) with X ~ Gamma(a) and Y ~ Gamma(b); so is this,
/// from Marsaglia and Tsang's Gamma sampler (the numbers are not TensorFlow's).
/// </summary>
/// <remarks>
/// The gammas are kept as logarithms: CutMix's shape can be 1e-6 (a factor of 0 plus Keras' 1e-6), whose Gamma draws
/// underflow to 0 in any float, and X / (X + Y) would then be 0 / 0. From the logarithms the ratio is
/// 1 / (1 + exp(log Y − log X)), which is 0 or 1 there, as Beta(ε, ε) tends to a fair coin between 0 and 1.
/// </remarks>
internal static class BetaSampler
{
    /// <summary>A Beta(<paramref name="a"/>, <paramref name="b"/>) draw in [0, 1]: the Gamma(a) draw, then the Gamma(b) draw.</summary>
    public static double Next(SeededRandom random, double a, double b)
    {
        double logX = LogGamma(random, a);
        double logY = LogGamma(random, b);
        return 1 / (1 + Math.Exp(logY - logX));
    }

    /// <summary>
    /// The logarithm of a Gamma(<paramref name="shape"/>, 1) draw, shape &gt; 0. Marsaglia and Tsang (2000) for shape ≥ 1;
    /// below 1 their boost: Gamma(shape) = Gamma(shape + 1) · U^(1 / shape), with U drawn after the Gamma(shape + 1) draw.
    /// </summary>
    public static double LogGamma(SeededRandom random, double shape)
    {
        bool boosted = shape < 1;
        double d = (boosted ? shape + 1 : shape) - (1.0 / 3), c = 1 / Math.Sqrt(9 * d);
        double logGamma;
        while (true)
        {
            double z = Normal(random);
            double v = 1 + (c * z);
            if (v <= 0)
            {
                continue;
            }

            v = v * v * v;
            double u = 1 - random.NextDouble(); // (0, 1]: the log is finite
            if (Math.Log(u) < (0.5 * z * z) + d - (d * v) + (d * Math.Log(v)))
            {
                logGamma = Math.Log(d) + Math.Log(v);
                break;
            }
        }

        return boosted ? logGamma + (Math.Log(1 - random.NextDouble()) / shape) : logGamma;
    }

    // A standard normal from two uniforms (Box-Muller's cosine half, in double, no spare kept, so each draw takes two).
    private static double Normal(SeededRandom random)
    {
        double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
