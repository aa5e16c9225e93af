namespace NeuralNet.Onnx.Import;

/// <summary>
/// Row-major index arithmetic on the small constants folded at import (shape vectors, scalars): selecting along an axis,
/// joining, broadcasting. Each carries the batch-length marks of <see cref="OnnxConstant.Batch"/> along with the values.
/// </summary>
internal static class FoldedTensors
{
    /// <summary>The elements of <paramref name="c"/> at positions <paramref name="indices"/> (each in range) of <paramref name="axis"/>, as a tensor whose <paramref name="axis"/> has <paramref name="indices"/>' length.</summary>
    public static OnnxConstant Take(OnnxConstant c, int axis, IReadOnlyList<long> indices)
    {
        (long outer, long length, long inner) = Split(c.Dims, axis);
        var values = new double[outer * indices.Count * inner];
        // Batch flags only where the constant has some (a weight has none).
        bool[]? batch = c.Batch is null ? null : new bool[values.Length];
        long o = 0;
        for (long i = 0; i < outer; i++)
        {
            foreach (long index in indices)
            {
                for (long j = 0; j < inner; j++, o++)
                {
                    long source = ((i * length) + index) * inner + j;
                    values[o] = c.Values[source];
                    if (batch is not null)
            {
                batch[o] = c.IsBatch((int)source);
            }
                }
            }
        }

        long[] dims = [.. c.Dims];
        dims[axis] = indices.Count;
        return new OnnxConstant(dims, values, c.ElementType, batch);
    }

    /// <summary><paramref name="parts"/> (equal dims but on <paramref name="axis"/>) joined along <paramref name="axis"/>.</summary>
    public static OnnxConstant Join(IReadOnlyList<OnnxConstant> parts, int axis)
    {
        long outer = Split(parts[0].Dims, axis).Outer;
        var values = new List<double>();
        var batch = new List<bool>();
        for (long i = 0; i < outer; i++)
        {
            foreach (OnnxConstant part in parts)
            {
                (_, long length, long inner) = Split(part.Dims, axis);
                for (long j = i * length * inner; j < (i + 1) * length * inner; j++)
                {
                    values.Add(part.Values[j]);
                    batch.Add(part.IsBatch((int)j));
                }
            }
        }

        long[] dims = [.. parts[0].Dims];
        dims[axis] = parts.Sum(p => p.Dims[axis]);
        return new OnnxConstant(dims, [.. values], parts[0].ElementType, [.. batch]);
    }

    /// <summary>
    /// <paramref name="f"/> of <paramref name="a"/> and <paramref name="b"/> under numpy broadcasting, in <paramref name="a"/>'s
    /// element type (integers kept whole by <paramref name="f"/>, floats rounded to float32); null when the dims do not broadcast.
    /// </summary>
    public static OnnxConstant? Broadcast(OnnxConstant a, OnnxConstant b, Func<double, double, double> f)
    {
        int rank = Math.Max(a.Dims.Length, b.Dims.Length);
        long[] ad = Padded(a.Dims, rank), bd = Padded(b.Dims, rank), dims = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            if (ad[i] != bd[i] && ad[i] != 1 && bd[i] != 1)
            {
                return null;
            }

            dims[i] = ad[i] == 1 ? bd[i] : ad[i];
        }

        long count = dims.Aggregate(1L, (p, d) => p * d);
        var values = new double[count];
        var index = new long[rank];
        for (long o = 0; o < count; o++)
        {
            double value = f(a.Values[Offset(index, ad)], b.Values[Offset(index, bd)]);
            values[o] = a.IsInteger ? value : a.ElementType == OnnxConstant.Float ? (float)value : value;
            for (int i = rank - 1; i >= 0 && ++index[i] == dims[i]; i--)
            {
                index[i] = 0;
            }
        }

        return new OnnxConstant(dims, values, a.ElementType);
    }

    /// <summary>
    /// <paramref name="c"/> with its axes reordered: output axis i is input axis <paramref name="permutation"/>[i] (numpy's
    /// transpose), a weight stored transposed made the matrix a MatMul reads.
    /// </summary>
    public static OnnxConstant Transpose(OnnxConstant c, int[] permutation)
    {
        int rank = c.Dims.Length;
        var strides = new long[rank];
        for (int a = rank - 1, s = 1; a >= 0; a--)
        {
            strides[a] = s;
            s *= (int)c.Dims[a];
        }

        long[] dims = [.. permutation.Select(p => c.Dims[p])];
        var values = new double[c.Values.Length];
        // Batch flags only where the constant has some (a weight has none).
        bool[]? batch = c.Batch is null ? null : new bool[values.Length];
        var index = new long[rank];
        for (long o = 0; o < values.Length; o++)
        {
            long source = 0;
            for (int a = 0; a < rank; a++)
            {
                source += index[a] * strides[permutation[a]];
            }

            values[o] = c.Values[source];
            if (batch is not null)
            {
                batch[o] = c.IsBatch((int)source);
            }
            for (int a = rank - 1; a >= 0 && ++index[a] == dims[a]; a--)
            {
                index[a] = 0;
            }
        }

        return new OnnxConstant(dims, values, c.ElementType, batch);
    }

    /// <summary>The elements of <paramref name="c"/> under new dims <paramref name="dims"/> of the same count (Reshape, Squeeze, Unsqueeze).</summary>
    public static OnnxConstant WithDims(OnnxConstant c, long[] dims) => new(dims, c.Values, c.ElementType, c.Batch);

    // The element counts before, along and after an axis.
    private static (long Outer, long Length, long Inner) Split(long[] dims, int axis) =>
        (dims[..axis].Aggregate(1L, (p, d) => p * d), dims[axis], dims[(axis + 1)..].Aggregate(1L, (p, d) => p * d));

    private static long[] Padded(long[] dims, int rank) => [.. Enumerable.Repeat(1L, rank - dims.Length), .. dims];

    // The row-major offset in a tensor of dims d of the broadcast index (axes of length 1 read element 0).
    private static long Offset(long[] index, long[] d)
    {
        long offset = 0;
        for (int i = 0; i < d.Length; i++)
        {
            offset = (offset * d[i]) + (d[i] == 1 ? 0 : index[i]);
        }

        return offset;
    }
}
