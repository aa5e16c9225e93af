namespace NeuralNet.Regularizers;

/// <summary>Validation and kernels shared by the weight penalties.</summary>
internal static class RegularizerChecks
{
    /// <summary>Throws unless <paramref name="factor"/> is finite and at least 0, as Keras requires.</summary>
    public static float Factor(double factor, string parameterName, string regularizer)
    {
        if (!(factor >= 0.0) || double.IsInfinity(factor))
        {
            throw new ArgumentOutOfRangeException(parameterName, factor, $"{regularizer} expects a finite {parameterName} >= 0 but got {parameterName}={factor}.");
        }

        return (float)factor;
    }

    public static void SameLength(ReadOnlySpan<float> weights, Span<float> gradient)
    {
        if (weights.Length != gradient.Length)
        {
            throw new ArgumentException($"Regularizer gradient has {gradient.Length} elements but the weights have {weights.Length}.", nameof(gradient));
        }
    }

    /// <summary>sum |w|, accumulated in double.</summary>
    public static double SumOfMagnitudes(ReadOnlySpan<float> weights)
    {
        double sum = 0;
        foreach (float w in weights)
        {
            sum += Math.Abs(w);
        }

        return sum;
    }

    /// <summary>sum w², accumulated in double.</summary>
    public static double SumOfSquares(ReadOnlySpan<float> weights)
    {
        double sum = 0;
        foreach (float w in weights)
        {
            sum += (double)w * w;
        }

        return sum;
    }

    /// <summary>gradient += l1 * sign(w) + 2 * l2 * w (sign(0) = 0).</summary>
    public static void AddGradient(ReadOnlySpan<float> weights, Span<float> gradient, float l1, float l2)
    {
        SameLength(weights, gradient);
        float twoL2 = 2f * l2;
        for (int i = 0; i < weights.Length; i++)
        {
            float w = weights[i];
            gradient[i] += (l1 * MathF.Sign(w)) + (twoL2 * w);
        }
    }
}
