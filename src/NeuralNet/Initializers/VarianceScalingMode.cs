namespace NeuralNet.Initializers;

/// <summary>Which fan <see cref="VarianceScaling"/> divides its scale by (Keras' <c>mode</c>).</summary>
public enum VarianceScalingMode
{
    /// <summary>The number of inputs each weight connects (Keras' <c>"fan_in"</c>, the default).</summary>
    FanIn,

    /// <summary>The number of outputs (Keras' <c>"fan_out"</c>).</summary>
    FanOut,

    /// <summary>The mean of the two, (fanIn + fanOut) / 2 (Keras' <c>"fan_avg"</c>).</summary>
    FanAverage,
}
