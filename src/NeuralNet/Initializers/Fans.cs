namespace NeuralNet.Initializers;

/// <summary>
/// The fan-in and fan-out of a weight tensor, computed as Keras' <c>compute_fans</c> does.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>rank 0: (1, 1);</item>
/// <item>rank 1, (n): (n, n);</item>
/// <item>rank 2, a Dense kernel (inputs, units): (inputs, units);</item>
/// <item>rank 3 and more, a convolution kernel (..., in, out) such as (kh, kw, in, out): with the receptive field
/// r = the product of the leading dimensions (kh * kw), (r * in, r * out).</item>
/// </list>
/// </remarks>
public static class Fans
{
    /// <summary>Computes (fanIn, fanOut) for a weight of shape <paramref name="shape"/>.</summary>
    /// <param name="shape">The weight's shape.</param>
    /// <returns>The number of inputs and outputs each weight connects, as Keras counts them.</returns>
    public static (long FanIn, long FanOut) Compute(TensorShape shape)
    {
        ReadOnlySpan<int> dims = shape.Dimensions;
        switch (dims.Length)
        {
            case 0:
                return (1, 1);
            case 1:
                return (dims[0], dims[0]);
            case 2:
                return (dims[0], dims[1]);
            default:
                long receptiveField = 1;
                foreach (int d in dims[..^2])
                {
                    receptiveField *= d;
                }

                return (dims[^2] * receptiveField, dims[^1] * receptiveField);
        }
    }
}
