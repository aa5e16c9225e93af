using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

/// <summary>
/// L2 normalization of rows (Keras' <c>UnitNormalization</c>): forward, backward and a float64 reference twin.
/// </summary>
/// <remarks>
/// <code>
/// x, y, dy, dx: (rows, columns)     invNorm: (rows)
/// forward:  s_r = sum(x_r^2); invNorm_r = 1 / sqrt(max(s_r, 1e-12)); y = x * invNorm_r
/// backward: s_r &gt; 1e-12: dx = invNorm_r * (dy - y * sum(dy * y));   otherwise (the floor is active): dx = invNorm_r * dy
/// </code>
/// </remarks>
internal static class UnitNorm
{
    /// <summary>Keras' floor on the sum of squares (<c>ops.maximum(square_sum, 1e-12)</c>).</summary>
    public const float Floor = 1e-12f;

    /// <summary>y = x / ||x|| per row, with Keras' floor.</summary>
    public static void Forward(ReadOnlySpan<float> x, int columns, Span<float> invNorm, Span<float> y)
    {
        int rows = Validate(x.Length, columns);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * columns, columns);
            float squares = TensorPrimitives.SumOfSquares(xr);
            float inv = 1f / MathF.Sqrt(MathF.Max(squares, Floor));
            // A negative invNorm marks a row where the floor is active (its gradient does not flow through the norm).
            invNorm[r] = squares > Floor ? inv : -inv;
            TensorPrimitives.Multiply(xr, inv, y.Slice(r * columns, columns));
        }
    }

    /// <summary>Overwrites inputGradient from the output gradient and the forward output.</summary>
    public static void Backward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> y, ReadOnlySpan<float> invNorm, int columns, Span<float> inputGradient)
    {
        int rows = Validate(outputGradient.Length, columns);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> dyr = outputGradient.Slice(r * columns, columns);
            Span<float> dxr = inputGradient.Slice(r * columns, columns);
            float inv = invNorm[r];
            if (inv < 0)
            {
                TensorPrimitives.Multiply(dyr, -inv, dxr);
                continue;
            }

            ReadOnlySpan<float> yr = y.Slice(r * columns, columns);
            float dot = TensorPrimitives.Dot(dyr, yr);
            TensorPrimitives.MultiplyAdd(yr, -dot, dyr, dxr);
            TensorPrimitives.Multiply(dxr, inv, dxr);
        }
    }

    /// <summary>Reference twin of <see cref="Forward"/> in float64.</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, int columns, Span<double> y)
    {
        for (int r = 0; r < x.Length / columns; r++)
        {
            double squares = 0;
            for (int c = 0; c < columns; c++)
            {
                squares += (double)x[(r * columns) + c] * x[(r * columns) + c];
            }

            double inv = 1.0 / Math.Sqrt(Math.Max(squares, 1e-12));
            for (int c = 0; c < columns; c++)
            {
                y[(r * columns) + c] = x[(r * columns) + c] * inv;
            }
        }
    }

    private static int Validate(int length, int columns)
    {
        if (columns <= 0 || length % columns != 0)
        {
            throw new ArgumentException($"UnitNorm: {length} values are not whole rows of {columns} columns.");
        }

        return length / columns;
    }
}
