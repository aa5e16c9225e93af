namespace NeuralNet.Initializers;

/// <summary>What <see cref="VarianceScaling"/> samples from (Keras' <c>distribution</c>).</summary>
public enum VarianceScalingDistribution
{
    /// <summary>
    /// A normal truncated at two standard deviations, its standard deviation before truncation divided by 0.87962566103423978
    /// so that the kept values have standard deviation sqrt(scale / n) (Keras' <c>"truncated_normal"</c>, the default; Keras
    /// also reads <c>"normal"</c> as this).
    /// </summary>
    TruncatedNormal,

    /// <summary>A normal of standard deviation sqrt(scale / n), not truncated (Keras' <c>"untruncated_normal"</c>).</summary>
    UntruncatedNormal,

    /// <summary>A uniform in [-sqrt(3 scale / n), sqrt(3 scale / n)] (Keras' <c>"uniform"</c>).</summary>
    Uniform,
}
