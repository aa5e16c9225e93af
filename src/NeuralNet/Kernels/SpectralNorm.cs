namespace NeuralNet.Kernels;

/// <summary>
/// Spectral normalization of a kernel (Keras' <c>SpectralNormalization.normalized_weights</c>): the power method for the
/// largest singular value, the division by it, and float64 reference twins.
/// </summary>
/// <remarks>
/// <code>
/// W: the kernel read as (rows, columns), columns its last axis     u: (columns)     v: (rows)     t: (columns)
/// power iteration, repeated:  v = normalize(u · Wᵀ);  t = v · W;  u = normalize(t)
/// normalize(x) = x * min(1 / sqrt(sum(x²)), 1e7)                  (Keras' ops.normalize, epsilon 1e-7)
/// sigma = t · uᵀ  (Keras recomputes v · W, which is t)           Wn = W / sigma
/// </code>
/// Sums run in index order in float32 (the float64 twins in float64), so the result does not depend on the instruction set
/// or the thread count.
/// </remarks>
internal static class SpectralNorm
{
    /// <summary>Keras' cap on the inverse norm, <c>1 / epsilon</c> with <c>backend.epsilon() = 1e-7</c>.</summary>
    public const float MaxInverseNorm = 1e7f;

    /// <summary>Whether every element is zero (Keras then leaves the kernel and u as they are).</summary>
    public static bool IsAllZero(ReadOnlySpan<float> kernel)
    {
        // A plain comparison: -0 counts as zero and NaN does not, as in Keras' ops.equal(kernel, 0).
        foreach (float value in kernel)
        {
            if (value != 0f)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Runs <paramref name="iterations"/> steps of the power method on <paramref name="kernel"/> (rows, columns) from
    /// <paramref name="u"/>, which it overwrites with the new u; writes the last v and returns sigma.
    /// </summary>
    /// <param name="kernel">W, (rows, columns) row-major.</param>
    /// <param name="columns">The kernel's last axis.</param>
    /// <param name="iterations">At least 1.</param>
    /// <param name="u">(columns): the start vector in, the new u out.</param>
    /// <param name="v">(rows): receives the last v.</param>
    /// <param name="t">(columns): scratch, v · W.</param>
    /// <returns>sigma = (v · W) · uᵀ.</returns>
    public static float PowerIteration(ReadOnlySpan<float> kernel, int columns, int iterations, Span<float> u, Span<float> v, Span<float> t)
    {
        int rows = Validate(kernel.Length, columns, u.Length, v.Length, t.Length);
        if (iterations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "At least one iteration is needed.");
        }

        for (int it = 0; it < iterations; it++)
        {
            // v = normalize(u · Wᵀ): one dot product per row of W.
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> row = kernel.Slice(r * columns, columns);
                float sum = 0f;
                for (int c = 0; c < columns; c++)
                {
                    sum += u[c] * row[c];
                }

                v[r] = sum;
            }

            Normalize(v);

            // t = v · W: rows of W scaled by v and added in row order.
            t.Clear();
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> row = kernel.Slice(r * columns, columns);
                float vr = v[r];
                for (int c = 0; c < columns; c++)
                {
                    t[c] += vr * row[c];
                }
            }

            t.CopyTo(u);
            Normalize(u);
        }

        float sigma = 0f;
        for (int c = 0; c < columns; c++)
        {
            sigma += t[c] * u[c];
        }

        return sigma;
    }

    /// <summary>Wn = W / sigma, element by element (a division, as Keras' <c>ops.divide</c>).</summary>
    public static void Divide(ReadOnlySpan<float> kernel, float sigma, Span<float> normalized)
    {
        if (normalized.Length != kernel.Length)
        {
            throw new ArgumentException($"The destination has {normalized.Length} elements but the kernel has {kernel.Length}.", nameof(normalized));
        }

        for (int i = 0; i < kernel.Length; i++)
        {
            normalized[i] = kernel[i] / sigma;
        }
    }

    /// <summary>Float64 twin of <see cref="PowerIteration"/> (no cap on the inverse norm needed for non-zero vectors, kept anyway).</summary>
    public static double PowerIterationReference(ReadOnlySpan<double> kernel, int columns, int iterations, Span<double> u, Span<double> v)
    {
        int rows = kernel.Length / columns;
        var t = new double[columns];
        for (int it = 0; it < iterations; it++)
        {
            for (int r = 0; r < rows; r++)
            {
                double sum = 0;
                for (int c = 0; c < columns; c++)
                {
                    sum += u[c] * kernel[(r * columns) + c];
                }

                v[r] = sum;
            }

            NormalizeReference(v);
            Array.Clear(t);
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    t[c] += v[r] * kernel[(r * columns) + c];
                }
            }

            t.CopyTo(u);
            NormalizeReference(u);
        }

        double sigma = 0;
        for (int c = 0; c < columns; c++)
        {
            sigma += t[c] * u[c];
        }

        return sigma;
    }


    private static void Normalize(Span<float> x)
    {
        float squares = 0f;
        foreach (float value in x)
        {
            squares += value * value;
        }

        // Keras: x * minimum(rsqrt(sum(x²)), 1 / epsilon); a zero vector stays zero rather than becoming NaN.
        float inverse = MathF.Min(1f / MathF.Sqrt(squares), MaxInverseNorm);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] *= inverse;
        }
    }

    private static void NormalizeReference(Span<double> x)
    {
        double squares = 0;
        foreach (double value in x)
        {
            squares += value * value;
        }

        double inverse = Math.Min(1 / Math.Sqrt(squares), 1e7);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] *= inverse;
        }
    }

    private static int Validate(int length, int columns, int u, int v, int t)
    {
        if (columns <= 0 || length % columns != 0)
        {
            throw new ArgumentException($"A kernel of {length} elements cannot be read as rows of {columns}.", nameof(columns));
        }

        int rows = length / columns;
        if (u != columns || t != columns || v != rows)
        {
            throw new ArgumentException($"The kernel reads as ({rows}, {columns}) but u has {u} elements, v {v} and t {t}; expected {columns}, {rows} and {columns}.", nameof(columns));
        }

        return rows;
    }
}
