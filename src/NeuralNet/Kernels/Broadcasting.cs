using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

/// <summary>
/// Numpy-style broadcasting of one tensor to a larger shape of the same rank, and its adjoint, the sum over the
/// broadcast axes: what Keras' element-wise merge layers do when an input has size 1 where the output does not.
/// </summary>
/// <remarks>
/// <code>
/// source: sourceDims (row-major)   output: outputDims, same rank; on every axis sourceDims[d] == outputDims[d] or 1
/// Expand:    output[i_0, ..., i_r] = source[j_0, ..., j_r],  j_d = sourceDims[d] == 1 ? 0 : i_d
/// ReduceSum: source[j] = sum of output[i] over every i that maps to j   (in increasing i, the reference's order)
/// </code>
/// Trailing axes where the shapes agree are copied (or added) as one contiguous run; when the last axis is broadcast the
/// run is one value, filled (or summed in order). An odometer over the other axes moves the source offset by a stride
/// that is 0 on broadcast axes. Nothing is allocated.
/// </remarks>
internal static class Broadcasting
{
    /// <summary>The most axes a tensor may have here (the odometer lives on the stack).</summary>
    public const int MaxRank = 16;

    /// <summary>Writes <paramref name="source"/> broadcast to <paramref name="outputDims"/> into <paramref name="destination"/>.</summary>
    public static void Expand(ReadOnlySpan<float> source, ReadOnlySpan<int> sourceDims, ReadOnlySpan<int> outputDims, Span<float> destination)
    {
        Validate(source.Length, sourceDims, outputDims, destination.Length);
        (int agreeing, int outer, int run) = Runs(sourceDims, outputDims);
        if (agreeing == outputDims.Length)
        {
            source.CopyTo(destination);
            return;
        }

        Span<int> index = stackalloc int[outer];
        Span<int> stride = stackalloc int[outer];
        SourceStrides(sourceDims, outer, stride);
        int s = 0;
        for (int o = 0; o < destination.Length; o += run)
        {
            if (agreeing > 0)
            {
                source.Slice(s, run).CopyTo(destination.Slice(o, run));
            }
            else
            {
                destination.Slice(o, run).Fill(source[s]);
            }

            s = Advance(outputDims, stride, index, s);
        }
    }

    /// <summary>Writes into <paramref name="destination"/> (of <paramref name="sourceDims"/>) the sum of <paramref name="gradient"/> (of <paramref name="outputDims"/>) over the broadcast axes.</summary>
    public static void ReduceSum(ReadOnlySpan<float> gradient, ReadOnlySpan<int> outputDims, ReadOnlySpan<int> sourceDims, Span<float> destination)
    {
        Validate(destination.Length, sourceDims, outputDims, gradient.Length);
        (int agreeing, int outer, int run) = Runs(sourceDims, outputDims);
        if (agreeing == outputDims.Length)
        {
            gradient.CopyTo(destination);
            return;
        }

        Span<int> index = stackalloc int[outer];
        Span<int> stride = stackalloc int[outer];
        SourceStrides(sourceDims, outer, stride);
        destination.Clear();
        int s = 0;
        for (int o = 0; o < gradient.Length; o += run)
        {
            if (agreeing > 0)
            {
                // Element by element, so each sum still adds its terms in increasing output order.
                Span<float> target = destination.Slice(s, run);
                TensorPrimitives.Add(target, gradient.Slice(o, run), target);
            }
            else
            {
                float sum = destination[s];
                foreach (float g in gradient.Slice(o, run))
                {
                    sum += g;
                }

                destination[s] = sum;
            }

            s = Advance(outputDims, stride, index, s);
        }
    }

    /// <summary>The reference twin of <see cref="Expand"/>: one index computation per output element.</summary>
    public static void ExpandReference(ReadOnlySpan<float> source, ReadOnlySpan<int> sourceDims, ReadOnlySpan<int> outputDims, Span<float> destination)
    {
        Validate(source.Length, sourceDims, outputDims, destination.Length);
        for (int o = 0; o < destination.Length; o++)
        {
            destination[o] = source[SourceIndex(o, sourceDims, outputDims)];
        }
    }

    /// <summary>The reference twin of <see cref="ReduceSum"/>: <c>destination[map(o)] += gradient[o]</c> for o in order.</summary>
    public static void ReduceSumReference(ReadOnlySpan<float> gradient, ReadOnlySpan<int> outputDims, ReadOnlySpan<int> sourceDims, Span<float> destination)
    {
        Validate(destination.Length, sourceDims, outputDims, gradient.Length);
        destination.Clear();
        for (int o = 0; o < gradient.Length; o++)
        {
            destination[SourceIndex(o, sourceDims, outputDims)] += gradient[o];
        }
    }

    private static int SourceIndex(int flat, ReadOnlySpan<int> sourceDims, ReadOnlySpan<int> outputDims)
    {
        int source = 0, stride = 1;
        for (int d = outputDims.Length - 1; d >= 0; d--)
        {
            int i = flat % outputDims[d];
            flat /= outputDims[d];
            source += (sourceDims[d] == 1 ? 0 : i) * stride;
            stride *= sourceDims[d];
        }

        return source;
    }

    // The number of trailing axes on which the two shapes agree.
    // The run each step of the odometer handles: the agreeing trailing axes (copied or added as one block), or else the
    // broadcast last axis (one value filled or summed); outer is the number of axes the odometer walks.
    private static (int Agreeing, int Outer, int Run) Runs(ReadOnlySpan<int> sourceDims, ReadOnlySpan<int> outputDims)
    {
        int rank = outputDims.Length;
        int agreeing = AgreeingTrailingAxes(sourceDims, outputDims);
        int outer = agreeing == rank ? 0 : agreeing > 0 ? rank - agreeing : rank - 1;
        int run = 1;
        for (int d = outer; d < rank; d++)
        {
            run *= outputDims[d];
        }

        return (agreeing, outer, run);
    }

    private static int AgreeingTrailingAxes(ReadOnlySpan<int> sourceDims, ReadOnlySpan<int> outputDims)
    {
        int count = 0;
        for (int d = outputDims.Length - 1; d >= 0 && sourceDims[d] == outputDims[d]; d--)
        {
            count++;
        }

        return count;
    }

    // The source offset one step along each of the first `outer` axes moves by: 0 where the source has size 1.
    private static void SourceStrides(ReadOnlySpan<int> sourceDims, int outer, Span<int> stride)
    {
        int size = 1;
        for (int d = sourceDims.Length - 1; d >= 0; d--)
        {
            if (d < outer)
            {
                stride[d] = sourceDims[d] == 1 ? 0 : size;
            }

            size *= sourceDims[d];
        }
    }

    // One step of the odometer over the outer axes (the last one fastest); returns the new source offset.
    private static int Advance(ReadOnlySpan<int> outputDims, ReadOnlySpan<int> stride, Span<int> index, int s)
    {
        for (int d = index.Length - 1; d >= 0; d--)
        {
            s += stride[d];
            if (++index[d] < outputDims[d])
            {
                return s;
            }

            s -= stride[d] * outputDims[d];
            index[d] = 0;
        }

        return s;
    }

    private static void Validate(int sourceLength, ReadOnlySpan<int> sourceDims, ReadOnlySpan<int> outputDims, int outputLength)
    {
        if (sourceDims.Length != outputDims.Length || outputDims.Length > MaxRank)
        {
            throw new ArgumentException($"Broadcasting needs shapes of one rank (at most {MaxRank}) but got ranks {sourceDims.Length} and {outputDims.Length}.", nameof(sourceDims));
        }

        long sourceCount = 1, outputCount = 1;
        for (int d = 0; d < outputDims.Length; d++)
        {
            if (outputDims[d] < 0 || (sourceDims[d] != outputDims[d] && sourceDims[d] != 1))
            {
                throw new ArgumentException($"Broadcasting: axis {d} of the source has size {sourceDims[d]}, which is neither 1 nor the output's {outputDims[d]}.", nameof(sourceDims));
            }

            sourceCount *= sourceDims[d];
            outputCount *= outputDims[d];
        }

        if (sourceLength != sourceCount || outputLength != outputCount)
        {
            throw new ArgumentException($"Broadcasting: the source holds {sourceLength} values for {sourceCount} and the output {outputLength} for {outputCount}.", nameof(sourceDims));
        }
    }
}
