using System.Globalization;

namespace NeuralNet.Layers;

/// <summary>
/// The layout of a per-sample reduction over some axes (layer and unit normalization, a softmax over axes): each sample
/// of shape S is seen as (rows, columns), columns running over the reduced axes and rows over the others, both in
/// row-major order. When the reduced axes are the trailing ones the sample already has that layout; otherwise
/// <see cref="Gather"/> and <see cref="Scatter"/> move the values between the two orders through an index map.
/// </summary>
internal sealed class AxisLayout
{
    private readonly TensorShape _sampleShape;
    private readonly int[] _sampleAxes;

    // As large as a sample, so made on the first Gather or Scatter, not when a file is loaded (a small file naming a huge
    // input shape must not allocate gigabytes before its weights are read).
    private int[]? _map;

    private AxisLayout(TensorShape sampleShape, int[] sampleAxes, int columns, bool contiguous)
    {
        _sampleShape = sampleShape;
        _sampleAxes = sampleAxes;
        SampleLength = sampleShape.ElementCount;
        Columns = columns;
        Rows = columns == 0 ? 0 : SampleLength / columns;
        IsContiguous = contiguous;
    }

    /// <summary>The number of values in a sample.</summary>
    public int SampleLength { get; }

    /// <summary>The product of the reduced axes' sizes.</summary>
    public int Columns { get; }

    /// <summary>The product of the other axes' sizes: how many reductions each sample holds.</summary>
    public int Rows { get; }

    /// <summary>Whether the sample already has the (rows, columns) layout, so no gathering is needed.</summary>
    public bool IsContiguous { get; }

    /// <summary>
    /// The sample axes (0 = the first axis after the batch) that Keras axes (counting the batch axis, negative from the
    /// end) name, in increasing order and without repeats.
    /// </summary>
    /// <exception cref="ArgumentException">An axis is the batch axis or outside the input's rank; the message names <paramref name="layer"/>.</exception>
    public static int[] SampleAxes(IReadOnlyList<int> axes, TensorShape sampleShape, string layer)
    {
        int rank = sampleShape.Rank + 1;
        var result = new SortedSet<int>();
        foreach (int axis in axes)
        {
            int resolved = axis < 0 ? axis + rank : axis;
            if (resolved < 1 || resolved >= rank)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{layer} normalizes over axis {axis}, which input {sampleShape.ToBatchString()} of rank {rank} does not have (axes count the batch axis, 0, which cannot be used: 1 to {rank - 1}, or -1 to {1 - rank})."),
                    "inputShape");
            }

            result.Add(resolved - 1);
        }

        return [.. result];
    }

    /// <summary>The layout of samples of <paramref name="sampleShape"/> reduced over <paramref name="sampleAxes"/> (from <see cref="SampleAxes"/>).</summary>
    public static AxisLayout Create(TensorShape sampleShape, int[] sampleAxes)
    {
        int rank = sampleShape.Rank, columns = 1;
        bool trailing = true;
        for (int i = 0; i < sampleAxes.Length; i++)
        {
            columns *= sampleShape[sampleAxes[i]];
            trailing &= sampleAxes[i] == rank - sampleAxes.Length + i;
        }

        return new AxisLayout(sampleShape, sampleAxes, columns, trailing);
    }

    // map[row * columns + column] = the offset of that value in the sample.
    private int[] Map()
    {
        TensorShape sampleShape = _sampleShape;
        int rank = sampleShape.Rank, columns = Columns, length = SampleLength;
        var reduced = new bool[rank];
        foreach (int axis in _sampleAxes)
        {
            reduced[axis] = true;
        }

        var map = new int[length];
        var index = new int[rank];
        for (int offset = 0; offset < length; offset++)
        {
            int row = 0, column = 0;
            for (int d = 0; d < rank; d++)
            {
                if (reduced[d])
                {
                    column = (column * sampleShape[d]) + index[d];
                }
                else
                {
                    row = (row * sampleShape[d]) + index[d];
                }
            }

            map[(row * columns) + column] = offset;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < sampleShape[d])
                {
                    break;
                }

                index[d] = 0;
            }
        }

        return map;
    }

    /// <summary>Copies a batch from the sample order into the (rows, columns) order (a copy when contiguous).</summary>
    public void Gather(ReadOnlySpan<float> samples, Span<float> gathered)
    {
        if (IsContiguous)
        {
            samples.CopyTo(gathered);
            return;
        }

        int[] map = _map ??= Map();
        for (int start = 0; start < samples.Length; start += SampleLength)
        {
            ReadOnlySpan<float> sample = samples.Slice(start, SampleLength);
            Span<float> target = gathered.Slice(start, SampleLength);
            for (int i = 0; i < map.Length; i++)
            {
                target[i] = sample[map[i]];
            }
        }
    }

    /// <summary>Copies a batch from the (rows, columns) order back into the sample order (a copy when contiguous).</summary>
    public void Scatter(ReadOnlySpan<float> gathered, Span<float> samples)
    {
        if (IsContiguous)
        {
            gathered.CopyTo(samples);
            return;
        }

        int[] map = _map ??= Map();
        for (int start = 0; start < gathered.Length; start += SampleLength)
        {
            ReadOnlySpan<float> source = gathered.Slice(start, SampleLength);
            Span<float> sample = samples.Slice(start, SampleLength);
            for (int i = 0; i < map.Length; i++)
            {
                sample[map[i]] = source[i];
            }
        }
    }
}
