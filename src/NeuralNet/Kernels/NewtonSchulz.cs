namespace NeuralNet.Kernels;

/// <summary>
/// Muon's quintic Newton-Schulz iteration (Keras' <c>Muon.zeropower_via_newtonschulz5</c>): maps a matrix G to about
/// U·S'·Vᵀ of its SVD with S' near the identity, the direction Muon steps along. A float64 reference twin beside it.
/// </summary>
/// <remarks>
/// <code>
/// G: (rows, columns); worked as X = G, or X = Gᵀ when rows &gt; columns, so X is (m, n) with m ≤ n
/// X = X / (‖X‖_F + 1e-7)
/// repeat steps times:  A = X·Xᵀ (m, m);  B = b·A + c·A·A;  X = a·X + B·X
/// the result is X, or Xᵀ when G was transposed
/// </code>
/// The products run on the library's GEMM, whose results do not depend on the thread count.
/// </remarks>
internal static class NewtonSchulz
{
    /// <summary>Keras' offset added to the Frobenius norm.</summary>
    public const float NormOffset = 1e-7f;

    /// <summary>The scratch length <see cref="Orthogonalize"/> needs for a (rows, columns) matrix: 2·m·n + 2·m².</summary>
    public static int ScratchLength(int rows, int columns)
    {
        long m = Math.Min(rows, columns), n = Math.Max(rows, columns);
        long length = (2 * m * n) + (2 * m * m);
        return length <= Array.MaxLength
            ? (int)length
            : throw new ArgumentOutOfRangeException(nameof(rows), $"A ({rows}, {columns}) matrix needs {length} scratch floats, more than an array holds.");
    }

    /// <summary>Writes the iteration's result for <paramref name="g"/> (rows, columns) into <paramref name="destination"/>.</summary>
    /// <param name="g">G, row-major.</param>
    /// <param name="rows">G's rows.</param>
    /// <param name="columns">G's columns.</param>
    /// <param name="steps">The number of iterations, at least 0.</param>
    /// <param name="a">The iteration's a (Keras 3.4445).</param>
    /// <param name="b">The iteration's b (Keras −4.7750).</param>
    /// <param name="c">The iteration's c (Keras 2.0315).</param>
    /// <param name="destination">(rows, columns); may not overlap <paramref name="g"/>.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> floats.</param>
    public static void Orthogonalize(ReadOnlySpan<float> g, int rows, int columns, int steps, float a, float b, float c, Span<float> destination, Span<float> scratch)
    {
        Validate(g.Length, rows, columns, steps, destination.Length);
        bool transposed = rows > columns;
        int m = Math.Min(rows, columns), n = Math.Max(rows, columns);
        if (scratch.Length < ScratchLength(rows, columns))
        {
            throw new ArgumentException($"The scratch holds {scratch.Length} floats; a ({rows}, {columns}) matrix needs {ScratchLength(rows, columns)}.", nameof(scratch));
        }

        Span<float> x = scratch[..(m * n)], next = scratch.Slice(m * n, m * n);
        Span<float> gram = scratch.Slice(2 * m * n, m * m), mix = scratch.Slice((2 * m * n) + (m * m), m * m);
        CopyOriented(g, rows, columns, transposed, x);

        // The norm's squares summed in float64, in index order.
        double squares = 0;
        foreach (float value in x)
        {
            squares += value * (double)value;
        }

        float inverse = 1f / ((float)Math.Sqrt(squares) + NormOffset);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] *= inverse;
        }

        for (int step = 0; step < steps; step++)
        {
            // A = X·Xᵀ; B = b·A + c·A·A; X' = a·X + B·X.
            Gemm.Multiply(false, true, m, m, n, 1f, x, n, x, n, 0f, gram, m);
            for (int i = 0; i < gram.Length; i++)
            {
                mix[i] = b * gram[i];
            }

            Gemm.Multiply(false, false, m, m, m, c, gram, m, gram, m, 1f, mix, m);
            for (int i = 0; i < x.Length; i++)
            {
                next[i] = a * x[i];
            }

            Gemm.Multiply(false, false, m, n, m, 1f, mix, m, x, n, 1f, next, n);
            next.CopyTo(x);
        }

        CopyOriented(x, m, n, transposed, destination);
    }

    /// <summary>The same iteration in float64 with plain loops: what the tests compare <see cref="Orthogonalize"/> against.</summary>
    public static double[] OrthogonalizeReference(ReadOnlySpan<float> g, int rows, int columns, int steps, double a, double b, double c)
    {
        Validate(g.Length, rows, columns, steps, g.Length);
        bool transposed = rows > columns;
        int m = Math.Min(rows, columns), n = Math.Max(rows, columns);
        double[] x = new double[m * n];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                x[transposed ? (j * n) + i : (i * n) + j] = g[(i * columns) + j];
            }
        }

        double norm = Math.Sqrt(x.Sum(v => v * v)) + NormOffset;
        for (int i = 0; i < x.Length; i++)
        {
            x[i] /= norm;
        }

        for (int step = 0; step < steps; step++)
        {
            double[] gram = new double[m * m], mix = new double[m * m], next = new double[m * n];
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < m; j++)
                {
                    for (int p = 0; p < n; p++)
                    {
                        gram[(i * m) + j] += x[(i * n) + p] * x[(j * n) + p];
                    }
                }
            }

            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < m; j++)
                {
                    double square = 0;
                    for (int p = 0; p < m; p++)
                    {
                        square += gram[(i * m) + p] * gram[(p * m) + j];
                    }

                    mix[(i * m) + j] = (b * gram[(i * m) + j]) + (c * square);
                }
            }

            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = a * x[(i * n) + j];
                    for (int p = 0; p < m; p++)
                    {
                        sum += mix[(i * m) + p] * x[(p * n) + j];
                    }

                    next[(i * n) + j] = sum;
                }
            }

            x = next;
        }

        double[] result = new double[rows * columns];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                result[(i * columns) + j] = x[transposed ? (j * n) + i : (i * n) + j];
            }
        }

        return result;
    }

    // Copies a (rows, columns) matrix as it is, or transposed.
    private static void CopyOriented(ReadOnlySpan<float> source, int rows, int columns, bool transpose, Span<float> destination)
    {
        if (!transpose)
        {
            source[..(rows * columns)].CopyTo(destination);
            return;
        }

        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                destination[(j * rows) + i] = source[(i * columns) + j];
            }
        }
    }

    private static void Validate(int length, int rows, int columns, int steps, int destinationLength)
    {
        if (rows < 1 || columns < 1 || (long)rows * columns != length)
        {
            throw new ArgumentException($"G holds {length} floats, not a ({rows}, {columns}) matrix.", nameof(rows));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (destinationLength < length)
        {
            throw new ArgumentException($"The destination holds {destinationLength} floats; a ({rows}, {columns}) matrix needs {length}.", "destination");
        }
    }
}
