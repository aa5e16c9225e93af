using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

/// <summary>
/// Layer normalization of rows: forward, backward and a float64 reference twin.
/// </summary>
/// <remarks>
/// <code>
/// x, xhat, y, dy, dx: (rows, columns)     gamma, beta: (columns) or empty     invStd: (rows)
/// forward:  mean = mean(x_r); var = mean((x_r - mean)^2) (biased, as Keras' ops.moments)
///           invStd_r = 1 / sqrt(var + epsilon); xhat = (x - mean) * invStd_r; y = gamma * xhat + beta
/// backward: dgamma += sum_r dy * xhat; dbeta += sum_r dy; g = dy * gamma
///           dx = invStd_r * (g - mean(g) - xhat * mean(g * xhat))
/// </code>
/// Every step is a TensorPrimitives pass over a row; rows run in order on one thread, so results are reproducible.
/// </remarks>
internal static class LayerNorm
{
    /// <summary>Normalizes each row of <paramref name="x"/>; gamma/beta empty mean 1/0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int columns, float epsilon,
        Span<float> xhat, Span<float> invStd, Span<float> y)
    {
        int rows = Validate(x.Length, columns, gamma, beta);
        if (xhat.Length < x.Length || y.Length < x.Length || invStd.Length < rows)
        {
            throw new ArgumentException($"LayerNorm: xhat ({xhat.Length}), y ({y.Length}) or invStd ({invStd.Length}) is shorter than {rows} rows of {columns}.");
        }

        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * columns, columns);
            Span<float> hr = xhat.Slice(r * columns, columns);
            float mean = TensorPrimitives.Sum(xr) / columns;
            TensorPrimitives.Subtract(xr, mean, hr);
            float variance = TensorPrimitives.SumOfSquares(hr) / columns;
            float inv = 1f / MathF.Sqrt(variance + epsilon);
            invStd[r] = inv;
            TensorPrimitives.Multiply(hr, inv, hr);
            Affine(hr, gamma, beta, y.Slice(r * columns, columns));
        }
    }

    /// <summary>y = gamma * xhat + beta for one row (gamma/beta empty: 1/0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Affine(ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
    {
        if (!gamma.IsEmpty && !beta.IsEmpty)
        {
            TensorPrimitives.MultiplyAdd(xhat, gamma, beta, y);
        }
        else if (!gamma.IsEmpty)
        {
            TensorPrimitives.Multiply(xhat, gamma, y);
        }
        else if (!beta.IsEmpty)
        {
            TensorPrimitives.Add(xhat, beta, y);
        }
        else
        {
            xhat.CopyTo(y);
        }
    }

    /// <summary>
    /// Accumulates gammaGradient and betaGradient (skipped when empty) and overwrites inputGradient;
    /// <paramref name="scratch"/> holds at least one row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma, ReadOnlySpan<float> invStd,
        int columns, Span<float> scratch, Span<float> gammaGradient, Span<float> betaGradient, Span<float> inputGradient)
    {
        int rows = Validate(outputGradient.Length, columns, gamma, default);
        if (xhat.Length < outputGradient.Length || inputGradient.Length < outputGradient.Length || invStd.Length < rows || scratch.Length < columns)
        {
            throw new ArgumentException($"LayerNorm: xhat ({xhat.Length}), inputGradient ({inputGradient.Length}), invStd ({invStd.Length}) or scratch ({scratch.Length}) is too short for {rows} rows of {columns}.");
        }

        Span<float> g = scratch[..columns];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> dyr = outputGradient.Slice(r * columns, columns);
            ReadOnlySpan<float> hr = xhat.Slice(r * columns, columns);
            Span<float> dxr = inputGradient.Slice(r * columns, columns);
            if (!gammaGradient.IsEmpty)
            {
                TensorPrimitives.MultiplyAdd(dyr, hr, gammaGradient, gammaGradient);
            }

            if (!betaGradient.IsEmpty)
            {
                TensorPrimitives.Add(betaGradient, dyr, betaGradient);
            }

            if (gamma.IsEmpty)
            {
                dyr.CopyTo(g);
            }
            else
            {
                TensorPrimitives.Multiply(dyr, gamma, g);
            }

            float meanG = TensorPrimitives.Sum(g) / columns;
            float meanGh = TensorPrimitives.Dot(g, hr) / columns;
            float inv = invStd[r];
            // dx = inv * (g - meanG - xhat * meanGh)
            TensorPrimitives.MultiplyAdd(hr, -meanGh, g, dxr);
            TensorPrimitives.Subtract(dxr, meanG, dxr);
            TensorPrimitives.Multiply(dxr, inv, dxr);
        }
    }

    /// <summary>Reference twin of <see cref="Forward"/> in float64, straight from the definition.</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int columns, double epsilon, Span<double> y)
    {
        int rows = x.Length / columns;
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, squares = 0;
            for (int c = 0; c < columns; c++)
            {
                mean += x[(r * columns) + c];
            }

            mean /= columns;
            for (int c = 0; c < columns; c++)
            {
                double d = x[(r * columns) + c] - mean;
                squares += d * d;
            }

            double inv = 1.0 / Math.Sqrt((squares / columns) + epsilon);
            for (int c = 0; c < columns; c++)
            {
                double h = (x[(r * columns) + c] - mean) * inv;
                y[(r * columns) + c] = (gamma.IsEmpty ? h : gamma[c] * h) + (beta.IsEmpty ? 0 : beta[c]);
            }
        }
    }

    private static int Validate(int length, int columns, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta)
    {
        if (columns <= 0 || length % columns != 0 || (!gamma.IsEmpty && gamma.Length != columns) || (!beta.IsEmpty && beta.Length != columns))
        {
            throw new ArgumentException($"LayerNorm: {length} values are not whole rows of {columns} columns, or gamma ({gamma.Length}) / beta ({beta.Length}) is not one value per column.");
        }

        return length / columns;
    }
}
