using System.Buffers;

namespace NeuralNet.Losses;

/// <summary>
/// The row losses' loops for any class axis (Keras' <c>axis</c>): on the last axis the contiguous rows of
/// <see cref="LossLoops"/>, untouched; on another axis each entry's classes are gathered from their stride into a row, the
/// same row operator runs on it, and a gradient row is scattered back. Entries are visited in memory order, so a batch
/// with its classes on axis k gives the bits of the same batch transposed to put them last. The rows' scratch is rented
/// from <see cref="ArrayPool{T}"/>, so nothing is allocated after the first batch.
/// </summary>
internal static class AxisRows
{
    /// <summary>The mean over entries of op.Value on each entry's classes (targets shaped like the predictions).</summary>
    public static float RowMean<TLoss>(ClassAxis layout, Tensor predictions, Tensor targets, TLoss op)
        where TLoss : struct, IRowLoss
    {
        if (layout.IsLast)
        {
            return LossLoops.RowMean(predictions, targets, layout.Classes, layout.Classes, op);
        }

        int entries = layout.Entries;
        return (float)(Sum(layout, predictions.AsReadOnlySpan(), targets.AsReadOnlySpan(), 0, entries, op) / entries);
    }

    /// <summary>destination[s] = the mean of op.Value over the entries of sample s.</summary>
    public static void RowMeanPerSample<TLoss>(string loss, ClassAxis layout, Tensor predictions, Tensor targets, Span<float> destination, TLoss op)
        where TLoss : struct, IRowLoss
    {
        if (layout.IsLast)
        {
            LossLoops.RowMeanPerSample(loss, predictions, targets, layout.Classes, layout.Classes, destination, op);
            return;
        }

        int samples = LossLoops.Samples(loss, predictions, destination);
        if (samples == 0)
        {
            return;
        }

        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        int perSample = layout.Entries / samples;
        for (int s = 0; s < samples; s++)
        {
            destination[s] = (float)(Sum(layout, p, t, s * perSample, perSample, op) / perSample);
        }
    }

    /// <summary>The gradient of <see cref="RowMean"/>: op's row gradient for every entry, each a term of the mean over entries.</summary>
    public static void Gradient<TGradient>(ClassAxis layout, Tensor predictions, Tensor targets, Tensor gradient, TGradient op)
        where TGradient : struct, IRowGradient
    {
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        int classes = layout.Classes, entries = layout.Entries;
        if (layout.IsLast)
        {
            for (int start = 0; start < p.Length; start += classes)
            {
                op.Gradient(p.Slice(start, classes), t.Slice(start, classes), g.Slice(start, classes), entries);
            }

            return;
        }

        float[] scratch = ArrayPool<float>.Shared.Rent(3 * classes);
        Span<float> pRow = scratch.AsSpan(0, classes), tRow = scratch.AsSpan(classes, classes), gRow = scratch.AsSpan(2 * classes, classes);
        for (int e = 0; e < entries; e++)
        {
            int start = layout.Start(e);
            Gather(p, start, layout.Inner, pRow);
            Gather(t, start, layout.Inner, tRow);
            op.Gradient(pRow, tRow, gRow, entries);
            for (int j = 0; j < classes; j++)
            {
                g[start + (j * layout.Inner)] = gRow[j];
            }
        }

        ArrayPool<float>.Shared.Return(scratch);
    }

    private static double Sum<TLoss>(ClassAxis layout, ReadOnlySpan<float> p, ReadOnlySpan<float> t, int first, int count, TLoss op)
        where TLoss : struct, IRowLoss
    {
        int classes = layout.Classes;
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * classes);
        Span<float> pRow = scratch.AsSpan(0, classes), tRow = scratch.AsSpan(classes, classes);
        double total = 0;
        for (int e = first; e < first + count; e++)
        {
            int start = layout.Start(e);
            Gather(p, start, layout.Inner, pRow);
            Gather(t, start, layout.Inner, tRow);
            total += op.Value(e, pRow, tRow);
        }

        ArrayPool<float>.Shared.Return(scratch);
        return total;
    }

    private static void Gather(ReadOnlySpan<float> source, int start, int stride, Span<float> row)
    {
        for (int j = 0; j < row.Length; j++)
        {
            row[j] = source[start + (j * stride)];
        }
    }
}
