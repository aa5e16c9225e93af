using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

/// <summary>
/// Root-mean-square normalization of rows (Keras' <c>ops.rms_normalization</c>): forward, backward and a float64 reference twin.
/// </summary>
/// <remarks>
/// <code>
/// x, y, dy, dx: (rows, columns)     scale, dScale: (columns)     invRms: (rows)
/// forward:  invRms_r = 1 / sqrt(mean(x_r^2) + epsilon); n = x * invRms_r; y = n * scale
/// backward: dn = dy * scale; dScale += sum_r dy_r * n_r; dx = invRms_r * (dn - n * mean(dn * n))
/// </code>
/// </remarks>
internal static class RmsNorm
{
    /// <summary>y = x · invRms · scale per row; keeps invRms for the backward pass.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, float epsilon, Span<float> invRms, Span<float> y)
    {
        int columns = scale.Length, rows = Validate(x.Length, columns);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * columns, columns);
            Span<float> yr = y.Slice(r * columns, columns);
            float inv = 1f / MathF.Sqrt((TensorPrimitives.SumOfSquares(xr) / columns) + epsilon);
            invRms[r] = inv;
            TensorPrimitives.Multiply(xr, inv, yr);
            TensorPrimitives.Multiply(yr, scale, yr);
        }
    }

    /// <summary>
    /// Overwrites inputGradient (unless it is empty) and adds the scale's gradient (unless it is empty).
    /// <paramref name="normalized"/> is a scratch row of <c>columns</c> floats.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> x, ReadOnlySpan<float> invRms, ReadOnlySpan<float> scale,
        Span<float> inputGradient, Span<float> scaleGradient, Span<float> normalized)
    {
        int columns = scale.Length, rows = Validate(outputGradient.Length, columns);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> dyr = outputGradient.Slice(r * columns, columns);
            Span<float> n = normalized[..columns];
            TensorPrimitives.Multiply(x.Slice(r * columns, columns), invRms[r], n);
            if (!scaleGradient.IsEmpty)
            {
                TensorPrimitives.MultiplyAdd(dyr, n, scaleGradient, scaleGradient);
            }

            if (inputGradient.IsEmpty)
            {
                continue;
            }

            Span<float> dxr = inputGradient.Slice(r * columns, columns);
            TensorPrimitives.Multiply(dyr, scale, dxr);
            float mean = TensorPrimitives.Dot(dxr, n) / columns;
            TensorPrimitives.MultiplyAdd(n, -mean, dxr, dxr);
            TensorPrimitives.Multiply(dxr, invRms[r], dxr);
        }
    }

    /// <summary>Reference twin of <see cref="Forward"/> in float64.</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, double epsilon, Span<double> y)
    {
        int columns = scale.Length;
        for (int r = 0; r < x.Length / columns; r++)
        {
            double squares = 0;
            for (int c = 0; c < columns; c++)
            {
                squares += (double)x[(r * columns) + c] * x[(r * columns) + c];
            }

            double inv = 1.0 / Math.Sqrt((squares / columns) + epsilon);
            for (int c = 0; c < columns; c++)
            {
                y[(r * columns) + c] = x[(r * columns) + c] * inv * scale[c];
            }
        }
    }

    private static int Validate(int length, int columns)
    {
        if (columns <= 0 || length % columns != 0)
        {
            throw new ArgumentException($"RmsNorm: {length} values are not whole rows of {columns} columns.");
        }

        return length / columns;
    }
}
