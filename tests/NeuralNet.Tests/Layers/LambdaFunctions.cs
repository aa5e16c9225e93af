using NeuralNet.Serialization;

namespace NeuralNet.Tests.Layers;

/// <summary>
/// Functions for <see cref="NeuralNet.Layers.Lambda"/> tests, registered once under <c>NeuralNet.Tests&gt;...</c> so that
/// models holding them can be saved and loaded.
/// </summary>
internal static class LambdaFunctions
{
    /// <summary>Keras' <c>epsilon()</c>, the floor of the squared distance in the Siamese tutorial's euclidean_distance.</summary>
    public const float Epsilon = 1e-7f;

    public static readonly Func<Tensor, Tensor> SquareFunction = Square;
    public static readonly Func<Tensor, Tensor, Tensor, Tensor> SquareGradientFunction = SquareGradient;
    public static readonly Func<IReadOnlyList<Tensor>, Tensor> DistanceFunction = EuclideanDistance;
    public static readonly Func<IReadOnlyList<Tensor>, Tensor, Tensor, IReadOnlyList<Tensor?>> DistanceGradientFunction = EuclideanDistanceGradient;

    static LambdaFunctions()
    {
        SerializationRegistry.RegisterFunction("NeuralNet.Tests>square", SquareFunction);
        SerializationRegistry.RegisterFunction("NeuralNet.Tests>square_gradient", SquareGradientFunction);
        SerializationRegistry.RegisterFunction("NeuralNet.Tests>euclidean_distance", DistanceFunction);
        SerializationRegistry.RegisterFunction("NeuralNet.Tests>euclidean_distance_gradient", DistanceGradientFunction);
    }

    /// <summary>Runs the static constructor (the registrations) before a test saves or loads.</summary>
    public static void Register()
    {
    }

    public static Tensor Square(Tensor x) => x * x;

    public static Tensor SquareGradient(Tensor x, Tensor y, Tensor g) => 2f * x * g;

    public static Tensor Cube(Tensor x) => x * x * x;

    public static Tensor CubeGradient(Tensor x, Tensor y, Tensor g) => 3f * x * x * g;

    /// <summary>[x - mean, -(x - mean)] on the last axis (Keras' antirectifier without the l2 normalization): twice the width.</summary>
    public static Tensor Antirectifier(Tensor x)
    {
        int width = x.Shape[x.Rank - 1];
        var result = new Tensor(x.Shape.Dimensions[..^1].ToArray().Append(2 * width).ToArray());
        ReadOnlySpan<float> source = x.AsReadOnlySpan();
        Span<float> destination = result.AsSpan();
        for (int row = 0; row < source.Length / width; row++)
        {
            float mean = 0;
            for (int j = 0; j < width; j++)
            {
                mean += source[(row * width) + j] / width;
            }

            for (int j = 0; j < width; j++)
            {
                destination[(row * 2 * width) + j] = source[(row * width) + j] - mean;
                destination[(row * 2 * width) + width + j] = mean - source[(row * width) + j];
            }
        }

        return result;
    }

    /// <summary>Keras' Siamese tutorial: sqrt(max(sum((a - b)^2, axis=1, keepdims=True), epsilon)), (batch, features) -> (batch, 1).</summary>
    public static Tensor EuclideanDistance(IReadOnlyList<Tensor> v)
    {
        Tensor a = v[0], b = v[1];
        int rows = a.Shape[0], width = a.Length / rows;
        var result = new Tensor(rows, 1);
        ReadOnlySpan<float> x = a.AsReadOnlySpan(), y = b.AsReadOnlySpan();
        for (int row = 0; row < rows; row++)
        {
            float sum = 0;
            for (int j = 0; j < width; j++)
            {
                float d = x[(row * width) + j] - y[(row * width) + j];
                sum += d * d;
            }

            result[row, 0] = MathF.Sqrt(MathF.Max(sum, Epsilon));
        }

        return result;
    }

    /// <summary>d/da = g (a - b) / distance, d/db = -d/da (0 where the squared distance is below epsilon, as max passes none).</summary>
    public static IReadOnlyList<Tensor?> EuclideanDistanceGradient(IReadOnlyList<Tensor> v, Tensor distance, Tensor g)
    {
        Tensor a = v[0], b = v[1];
        int rows = a.Shape[0], width = a.Length / rows;
        var da = new Tensor(a.Shape);
        var db = new Tensor(b.Shape);
        for (int row = 0; row < rows; row++)
        {
            float d = distance[row, 0];
            float scale = d * d > Epsilon ? g[row, 0] / d : 0f;
            for (int j = 0; j < width; j++)
            {
                float diff = a[row, j] - b[row, j];
                da[row, j] = scale * diff;
                db[row, j] = -scale * diff;
            }
        }

        return [da, db];
    }
}
