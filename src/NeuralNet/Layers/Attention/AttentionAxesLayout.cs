using System.Globalization;
using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// How a <see cref="MultiHeadAttention"/> input of any rank maps onto the (groups, steps, features) problem the layer
/// computes: Keras' einsum treats the axes outside <c>attention_axes</c> as batch axes and attends jointly over the
/// attention axes, which is attention over sequences of all the attention axes' positions, one sequence per batch row
/// and position on the other axes. A sample (d1, ..., dn, features) is arranged as (other axes ascending, attention axes in the
/// given order, features); when that is already its order (the attention axes trailing and ascending, as for rank-3
/// inputs and Keras' default) nothing is copied.
/// </summary>
internal sealed class AttentionAxesLayout
{
    // The strided copy over (batch, arranged axes..., features): the original tensor's strides in the arranged order, and
    // the arranged tensor's own (row-major). Index 0 (the batch) is set per call.
    private readonly int[] _dims;
    private readonly int[] _originalStrides;
    private readonly int[] _arrangedStrides;

    private AttentionAxesLayout(TensorShape sample, int[] order)
    {
        int rank = sample.Rank;
        Identity = true;
        for (int i = 0; i < order.Length; i++)
        {
            Identity &= order[i] == i;
        }

        var sampleStrides = new int[rank];
        StridedCopy.ContiguousStrides(sample.Dimensions, sampleStrides);
        _dims = new int[rank + 1];
        _originalStrides = new int[rank + 1];
        _arrangedStrides = new int[rank + 1];
        _originalStrides[0] = sample.ElementCount;
        for (int i = 0; i < rank; i++)
        {
            int axis = i < order.Length ? order[i] : rank - 1;
            _dims[i + 1] = sample[axis];
            _originalStrides[i + 1] = sampleStrides[axis];
        }

        _dims[0] = 1;
        StridedCopy.ContiguousStrides(_dims, _arrangedStrides);
        _arrangedStrides[0] = sample.ElementCount;
    }

    /// <summary>Whether the arranged order is the sample's own, so the tensor is used as it is.</summary>
    public bool Identity { get; }

    /// <summary>
    /// The layouts of a query and a value (or key) of these per-sample shapes (features last) for attention over
    /// <paramref name="attentionAxes"/> (Keras' <c>attention_axes</c>, counted with the batch axis as 0, negative from the
    /// end; null for every axis but the batch and the features); throws, naming the layer, the shapes and the axes, when the
    /// inputs or the axes do not fit.
    /// </summary>
    public static (int[] Axes, int[] Order) Resolve(string layer, TensorShape query, TensorShape value, IReadOnlyList<int>? attentionAxes)
    {
        int rank = query.Rank + 1;
        if (query.Rank < 2 || value.Rank != query.Rank)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{layer} expects a query and a value of one rank, at least (None, steps, features), but got query {query.ToBatchString()} and value {value.ToBatchString()}."), "inputShapes");
        }

        int[] axes;
        if (attentionAxes is null)
        {
            axes = [.. Enumerable.Range(1, rank - 2)];
        }
        else
        {
            axes = new int[attentionAxes.Count];
            for (int i = 0; i < axes.Length; i++)
            {
                int axis = attentionAxes[i] < 0 ? attentionAxes[i] + rank : attentionAxes[i];
                if (axis < 1 || axis > rank - 2 || axes.AsSpan(0, i).Contains(axis))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"{layer}: attention_axes ({string.Join(", ", attentionAxes)}) does not fit the query {query.ToBatchString()}: each axis must be one of 1..{rank - 2} (or -{rank - 1}..-2), once, neither the batch nor the features axis."), "inputShapes");
                }

                axes[i] = axis;
            }
        }

        // The sample axes (batch excluded) in arranged order: the others ascending, then the attention axes as given.
        int[] order = [.. Enumerable.Range(0, rank - 2).Where(a => !axes.Contains(a + 1)), .. axes.Select(a => a - 1)];
        for (int a = 0; a < rank - 2; a++)
        {
            if (!axes.Contains(a + 1) && query[a] != value[a])
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{layer}: the query {query.ToBatchString()} and the value {value.ToBatchString()} must agree on every axis outside attention_axes ({string.Join(", ", axes)}), but axis {a + 1} is {query[a]} and {value[a]}."), "inputShapes");
            }
        }

        return (axes, order);
    }

    /// <summary>The layout of a sample of shape <paramref name="sample"/> (features last) in the order <paramref name="order"/> from <see cref="Resolve"/>.</summary>
    public static AttentionAxesLayout Create(TensorShape sample, int[] order) => new(sample, order);

    /// <summary>Copies a batch from the sample's order into the arranged one.</summary>
    public void Arrange(ReadOnlySpan<float> original, Span<float> arranged, int batch)
    {
        _dims[0] = batch;
        StridedCopy.Run(original, _originalStrides, _dims, arranged, _arrangedStrides, accumulate: false);
    }

    /// <summary>Copies a batch from the arranged order back into the sample's.</summary>
    public void Restore(ReadOnlySpan<float> arranged, Span<float> original, int batch)
    {
        _dims[0] = batch;
        StridedCopy.Run(arranged, _arrangedStrides, _dims, original, _originalStrides, accumulate: false);
    }
}
