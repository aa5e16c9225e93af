namespace NeuralNet.Kernels;

/// <summary>
/// Euclidean norms of a tensor over some of its axes, and scaling by one factor per norm: the arithmetic of Keras'
/// norm constraints (<c>sqrt(sum(square(w), axis, keepdims=True))</c>, then <c>w * factor</c> or <c>w / divisor</c>);
/// <see cref="Scale"/> also broadcasts Dropout's shared masks (Keras' <c>noise_shape</c>) over the reduced axes.
/// </summary>
/// <remarks>
/// <code>
/// w: dims (row-major)    reducedAxes: bit d set = axis d is summed over
/// norms: one per index of the kept axes, in row-major order of the kept axes
/// norms[k] = sqrt(sum of w[i]^2 over every i whose kept indices are k)    (sums in double, in index order)
/// </code>
/// Elements are visited in storage order with an odometer over the axes, so the kept index costs one addition per
/// element instead of a division per axis. Nothing is allocated.
/// </remarks>
internal static class AxisNorms
{
    /// <summary>The most axes a tensor may have here (the reduced axes are bits of an int).</summary>
    public const int MaxRank = 16;

    /// <summary>The number of norms: the product of the sizes of the axes not reduced.</summary>
    public static int Count(ReadOnlySpan<int> dims, int reducedAxes)
    {
        int count = 1;
        for (int d = 0; d < dims.Length; d++)
        {
            if ((reducedAxes & (1 << d)) == 0)
            {
                count *= dims[d];
            }
        }

        return count;
    }

    /// <summary>Writes the norms of <paramref name="w"/> over the reduced axes into <paramref name="norms"/>, summing in <paramref name="sums"/>.</summary>
    public static void Compute(ReadOnlySpan<float> w, ReadOnlySpan<int> dims, int reducedAxes, Span<double> sums, Span<float> norms)
    {
        int count = Validate(w.Length, dims, reducedAxes, norms.Length, sums.Length);
        Span<double> total = sums[..count];
        total.Clear();
        Span<int> index = stackalloc int[dims.Length];
        Span<int> keptStride = stackalloc int[dims.Length];
        KeptStrides(dims, reducedAxes, keptStride);
        int k = 0;
        for (int i = 0; i < w.Length; i++)
        {
            total[k] += (double)w[i] * w[i];
            k = Advance(dims, keptStride, index, k);
        }

        for (int j = 0; j < count; j++)
        {
            norms[j] = (float)Math.Sqrt(total[j]);
        }
    }

    /// <summary><c>w[i] *= factors[k]</c>, or <c>w[i] /= factors[k]</c> when <paramref name="divide"/>, k being i's kept index.</summary>
    public static void Scale(Span<float> w, ReadOnlySpan<int> dims, int reducedAxes, ReadOnlySpan<float> factors, bool divide)
    {
        Validate(w.Length, dims, reducedAxes, factors.Length, int.MaxValue);
        Span<int> index = stackalloc int[dims.Length];
        Span<int> keptStride = stackalloc int[dims.Length];
        KeptStrides(dims, reducedAxes, keptStride);
        int k = 0;
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = divide ? w[i] / factors[k] : w[i] * factors[k];
            k = Advance(dims, keptStride, index, k);
        }
    }

    /// <summary>Reference twin of <see cref="Compute"/>: each element's kept index from divisions, straight from the definition.</summary>
    public static void ComputeReference(ReadOnlySpan<float> w, ReadOnlySpan<int> dims, int reducedAxes, Span<float> norms)
    {
        var sums = new double[norms.Length];
        for (int i = 0; i < w.Length; i++)
        {
            int rest = i, k = 0, keptScale = 1;
            for (int d = dims.Length - 1; d >= 0; d--)
            {
                int at = rest % dims[d];
                rest /= dims[d];
                if ((reducedAxes & (1 << d)) == 0)
                {
                    k += at * keptScale;
                    keptScale *= dims[d];
                }
            }

            sums[k] += (double)w[i] * w[i];
        }

        for (int j = 0; j < norms.Length; j++)
        {
            norms[j] = (float)Math.Sqrt(sums[j]);
        }
    }

    private static void KeptStrides(ReadOnlySpan<int> dims, int reducedAxes, Span<int> keptStride)
    {
        int stride = 1;
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            bool kept = (reducedAxes & (1 << d)) == 0;
            keptStride[d] = kept ? stride : 0;
            stride *= kept ? dims[d] : 1;
        }
    }

    // Steps the odometer to the next element in storage order and returns that element's kept index.
    private static int Advance(ReadOnlySpan<int> dims, ReadOnlySpan<int> keptStride, Span<int> index, int k)
    {
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            k += keptStride[d];
            if (++index[d] < dims[d])
            {
                return k;
            }

            k -= keptStride[d] * dims[d];
            index[d] = 0;
        }

        return k;
    }

    private static int Validate(int length, ReadOnlySpan<int> dims, int reducedAxes, int normsLength, int sumsLength)
    {
        if (dims.Length > MaxRank || (reducedAxes >> dims.Length) != 0)
        {
            throw new ArgumentException($"AxisNorms: {dims.Length} axes with reduced-axis bits {reducedAxes}; at most {MaxRank} axes, and only existing axes reduced.");
        }

        int elements = 1;
        foreach (int d in dims)
        {
            elements *= d;
        }

        int count = Count(dims, reducedAxes);
        if (elements != length || normsLength < count || sumsLength < count)
        {
            throw new ArgumentException($"AxisNorms: {length} values for {elements} elements, {count} norms into spans of {normsLength} and {sumsLength}.");
        }

        return count;
    }
}
