namespace NeuralNet;

// The argument checks and fills shared by Tensor.RandomNormal / RandomUniform and SeedGenerator.
internal static class RandomDraws
{
    public static void CheckStandardDeviation(float standardDeviation)
    {
        if (!(standardDeviation >= 0f) || float.IsInfinity(standardDeviation))
        {
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, "Must be finite and non-negative.");
        }
    }

    // The largest value a draw may take: minimum + range * u rounds up to maximum for u just below 1 (about once in
    // 2^24 draws); the interval stays half-open.
    public static float CheckUniformRange(float minimum, float maximum)
    {
        if (!(maximum >= minimum))
        {
            throw new ArgumentException($"RandomUniform needs minimum <= maximum but got minimum={minimum}, maximum={maximum}.", nameof(maximum));
        }

        float range = maximum - minimum;
        if (!float.IsFinite(range))
        {
            throw new ArgumentException($"RandomUniform needs a finite range but maximum - minimum = {maximum} - {minimum} is {range}.", nameof(maximum));
        }

        return range > 0f ? MathF.BitDecrement(maximum) : maximum;
    }

    public static void Normal(SeededRandom random, Span<float> destination, float mean, float standardDeviation)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = mean + (standardDeviation * random.NextNormal());
        }
    }

    public static void Uniform(SeededRandom random, Span<float> destination, float minimum, float range, float largest)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = MathF.Min(minimum + (range * random.NextSingle()), largest);
        }
    }
}
