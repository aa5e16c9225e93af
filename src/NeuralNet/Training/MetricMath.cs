namespace NeuralNet.Training;

/// <summary>Arithmetic the metrics share with Keras.</summary>
internal static class MetricMath
{
    /// <summary>TensorFlow's <c>divide_no_nan</c>, which Keras' rates use: 0 where the denominator is 0.</summary>
    public static double DivideNoNan(double numerator, double denominator) => denominator == 0 ? 0 : numerator / denominator;
}
