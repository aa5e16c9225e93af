namespace NeuralNet.Kernels;

/// <summary>
/// Copies (or adds) every element of an index space between two strided layouts: for each index of <c>dims</c>,
/// <c>destination[Σ index·destinationStrides] (=, +=) source[Σ index·sourceStrides]</c>. A stride of 0 broadcasts (on the
/// source) or sums (on an accumulating destination). <see cref="Layers.EinsumDense"/> uses it to lay its operands out for
/// the GEMM and to scatter the results back.
/// </summary>
internal static class StridedCopy
{
    /// <summary>The largest rank handled (the index lives on the stack).</summary>
    public const int MaxRank = 32;

    /// <summary>Visits the index space in row-major order; the innermost axis runs as one strided loop.</summary>
    public static void Run(ReadOnlySpan<float> source, ReadOnlySpan<int> sourceStrides, ReadOnlySpan<int> dims,
        Span<float> destination, ReadOnlySpan<int> destinationStrides, bool accumulate)
    {
        Validate(source.Length, sourceStrides, dims, destination.Length, destinationStrides);
        int rank = dims.Length;
        if (rank == 0)
        {
            destination[0] = accumulate ? destination[0] + source[0] : source[0];
            return;
        }

        int inner = dims[rank - 1], innerSource = sourceStrides[rank - 1], innerDestination = destinationStrides[rank - 1];
        Span<int> index = stackalloc int[rank];
        index.Clear();
        int sourceOffset = 0, destinationOffset = 0;
        while (true)
        {
            RunInner(source, sourceOffset, innerSource, destination, destinationOffset, innerDestination, inner, accumulate);

            // The odometer over the outer axes, carrying the offsets along.
            int axis = rank - 2;
            for (; axis >= 0; axis--)
            {
                sourceOffset += sourceStrides[axis];
                destinationOffset += destinationStrides[axis];
                if (++index[axis] < dims[axis])
                {
                    break;
                }

                sourceOffset -= sourceStrides[axis] * dims[axis];
                destinationOffset -= destinationStrides[axis] * dims[axis];
                index[axis] = 0;
            }

            if (axis < 0)
            {
                return;
            }
        }
    }

    /// <summary>The plain twin: each element's offsets computed from its flat index.</summary>
    public static void RunReference(ReadOnlySpan<float> source, ReadOnlySpan<int> sourceStrides, ReadOnlySpan<int> dims,
        Span<float> destination, ReadOnlySpan<int> destinationStrides, bool accumulate)
    {
        Validate(source.Length, sourceStrides, dims, destination.Length, destinationStrides);
        int count = 1;
        foreach (int dim in dims)
        {
            count *= dim;
        }

        for (int flat = 0; flat < count; flat++)
        {
            int remainder = flat, sourceOffset = 0, destinationOffset = 0;
            for (int axis = dims.Length - 1; axis >= 0; axis--)
            {
                int i = remainder % dims[axis];
                remainder /= dims[axis];
                sourceOffset += i * sourceStrides[axis];
                destinationOffset += i * destinationStrides[axis];
            }

            destination[destinationOffset] = accumulate ? destination[destinationOffset] + source[sourceOffset] : source[sourceOffset];
        }
    }

    /// <summary>The row-major strides of <paramref name="dims"/>.</summary>
    public static void ContiguousStrides(ReadOnlySpan<int> dims, Span<int> strides)
    {
        int stride = 1;
        for (int axis = dims.Length - 1; axis >= 0; axis--)
        {
            strides[axis] = stride;
            stride *= dims[axis];
        }
    }

    private static void RunInner(ReadOnlySpan<float> source, int sourceOffset, int sourceStride,
        Span<float> destination, int destinationOffset, int destinationStride, int count, bool accumulate)
    {
        if (sourceStride == 1 && destinationStride == 1)
        {
            ReadOnlySpan<float> from = source.Slice(sourceOffset, count);
            Span<float> to = destination.Slice(destinationOffset, count);
            if (accumulate)
            {
                // Element by element: the same additions, in the same order, as the reference's.
                for (int i = 0; i < count; i++)
                {
                    to[i] += from[i];
                }
            }
            else
            {
                from.CopyTo(to);
            }

            return;
        }

        for (int i = 0; i < count; i++)
        {
            ref float target = ref destination[destinationOffset + (i * destinationStride)];
            float value = source[sourceOffset + (i * sourceStride)];
            target = accumulate ? target + value : value;
        }
    }

    private static void Validate(int sourceLength, ReadOnlySpan<int> sourceStrides, ReadOnlySpan<int> dims, int destinationLength, ReadOnlySpan<int> destinationStrides)
    {
        if (dims.Length > MaxRank || sourceStrides.Length != dims.Length || destinationStrides.Length != dims.Length)
        {
            throw new ArgumentException($"A strided copy needs one stride per axis and at most {MaxRank} axes; got {dims.Length} axes, {sourceStrides.Length} source and {destinationStrides.Length} destination strides.", nameof(dims));
        }

        long lastSource = 0, lastDestination = 0;
        for (int axis = 0; axis < dims.Length; axis++)
        {
            if (dims[axis] < 1 || sourceStrides[axis] < 0 || destinationStrides[axis] < 0)
            {
                throw new ArgumentException($"Axis {axis} has size {dims[axis]}, source stride {sourceStrides[axis]} and destination stride {destinationStrides[axis]}; sizes must be positive and strides non-negative.", nameof(dims));
            }

            lastSource += (long)(dims[axis] - 1) * sourceStrides[axis];
            lastDestination += (long)(dims[axis] - 1) * destinationStrides[axis];
        }

        if (lastSource >= sourceLength || lastDestination >= destinationLength)
        {
            throw new ArgumentException($"A strided copy reaches offset {lastSource} of a source of {sourceLength} and {lastDestination} of a destination of {destinationLength}.", nameof(dims));
        }
    }
}
