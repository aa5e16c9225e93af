namespace NeuralNet.Datasets;

/// <summary>
/// An in-memory classification dataset: samples along the first axis of <see cref="Features"/> and one
/// integer class label per sample.
/// </summary>
/// <remarks>
/// <see cref="Take"/>, <see cref="Skip"/> and <see cref="Slice"/> return views that share the features'
/// storage (no copy); <see cref="Split"/> and <see cref="Concatenate"/> copy into new storage.
/// </remarks>
public sealed class LabeledDataset
{
    private readonly int[] _labels;

    /// <summary>Creates a dataset from features and labels.</summary>
    /// <param name="features">The samples, shape (count, ...). Not copied.</param>
    /// <param name="labels">One class label per sample, each in [0, <paramref name="classCount"/>). Not copied.</param>
    /// <param name="classCount">The number of classes.</param>
    /// <exception cref="ArgumentException">The counts differ or a label is outside [0, <paramref name="classCount"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    public LabeledDataset(Tensor features, int[] labels, int classCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        if (features.Rank == 0 || features.Shape[0] != labels.Length)
        {
            throw new ArgumentException($"Features {features.Shape} hold {(features.Rank == 0 ? 0 : features.Shape[0])} samples but there are {labels.Length} labels; expected one label per sample.", nameof(labels));
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
            {
                throw new ArgumentException($"Label {i} is {labels[i]}; expected a class in [0, {classCount}).", nameof(labels));
            }
        }

        Features = features;
        _labels = labels;
        ClassCount = classCount;
    }

    /// <summary>The samples, shape (<see cref="Count"/>, ...): (N, 784) or (N, 28, 28, 1) for MNIST.</summary>
    public Tensor Features { get; }

    /// <summary>The class label of each sample, in [0, <see cref="ClassCount"/>).</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>The number of samples.</summary>
    public int Count => _labels.Length;

    /// <summary>The number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>The shape of one sample, for example (784) or (28, 28, 1).</summary>
    public TensorShape SampleShape => Features.Shape.DropFirst();

    /// <summary>Returns the labels as a new array.</summary>
    public int[] LabelsToArray() => (int[])_labels.Clone();

    /// <summary>Returns the labels one-hot encoded: a new tensor of shape (<see cref="Count"/>, <see cref="ClassCount"/>).</summary>
    public Tensor OneHotLabels() => OneHot(_labels, ClassCount);

    /// <summary>
    /// Returns the labels as a new float tensor of shape (<see cref="Count"/>) holding the class indices, the
    /// target form of sparse losses (use <c>Reshape(-1, 1)</c> where (N, 1) is expected).
    /// </summary>
    public Tensor LabelsAsTensor()
    {
        float[] values = new float[_labels.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = _labels[i];
        }

        return Tensor.FromArray(values, values.Length);
    }

    /// <summary>Counts the samples of each class.</summary>
    /// <returns>An array of length <see cref="ClassCount"/>.</returns>
    public int[] ClassCounts()
    {
        int[] counts = new int[ClassCount];
        foreach (int label in _labels)
        {
            counts[label]++;
        }

        return counts;
    }

    /// <summary>A view of the first <paramref name="count"/> samples (shares storage).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not in [1, <see cref="Count"/>].</exception>
    public LabeledDataset Take(int count) => Slice(0, count);

    /// <summary>A view of the samples after the first <paramref name="count"/> (shares storage).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not in [0, <see cref="Count"/>).</exception>
    public LabeledDataset Skip(int count)
    {
        if (count < 0 || count >= Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Skip: expected 0 <= count < {Count} so that at least one sample remains.");
        }

        return Slice(count, Count - count);
    }

    /// <summary>A view of <paramref name="count"/> samples starting at <paramref name="start"/> (shares storage).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty or outside [0, <see cref="Count"/>).</exception>
    public LabeledDataset Slice(int start, int count)
    {
        if (start < 0 || count <= 0 || start > Count - count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Slice [{start}, {start + count}) is outside the {Count} samples; expected 0 <= start, count > 0 and start + count <= {Count}.");
        }

        return new LabeledDataset(Features.Slice(start, count), _labels.AsSpan(start, count).ToArray(), ClassCount, validated: true);
    }

    /// <summary>
    /// Splits the samples at random into two new datasets (copies): the first gets
    /// round(<see cref="Count"/> x <paramref name="firstFraction"/>) samples. The same seed gives the same split on every runtime.
    /// </summary>
    /// <param name="firstFraction">The fraction of samples in the first part, in (0, 1); 0.8 for an 80/20 split.</param>
    /// <param name="seed">The seed of the shuffle.</param>
    /// <exception cref="ArgumentOutOfRangeException">Either part would be empty.</exception>
    public (LabeledDataset First, LabeledDataset Second) Split(double firstFraction, long seed) =>
        SplitShuffled([this], firstFraction, seed);

    /// <summary>Joins datasets end to end into a new dataset (a copy).</summary>
    /// <param name="parts">Datasets with the same sample shape and class count.</param>
    /// <exception cref="ArgumentException">No parts, or the sample shapes or class counts differ.</exception>
    public static LabeledDataset Concatenate(params ReadOnlySpan<LabeledDataset> parts)
    {
        CheckCompatible(parts);
        int total = 0;
        foreach (LabeledDataset part in parts)
        {
            total = checked(total + part.Count);
        }

        int[] indices = new int[total];
        for (int i = 0; i < total; i++)
        {
            indices[i] = i;
        }

        return Gather(parts, indices);
    }

    /// <summary>One-hot encodes labels.</summary>
    /// <param name="labels">Class labels, each in [0, <paramref name="classCount"/>).</param>
    /// <param name="classCount">The number of classes.</param>
    /// <returns>A new tensor of shape (labels.Length, <paramref name="classCount"/>) with a 1 in each row's label column.</returns>
    /// <exception cref="ArgumentException"><paramref name="labels"/> is empty or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    public static Tensor OneHot(ReadOnlySpan<int> labels, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        if (labels.IsEmpty)
        {
            throw new ArgumentException("OneHot needs at least one label.", nameof(labels));
        }

        var result = new Tensor(labels.Length, classCount);
        Span<float> values = result.AsSpan();
        for (int i = 0; i < labels.Length; i++)
        {
            int label = labels[i];
            if ((uint)label >= (uint)classCount)
            {
                throw new ArgumentException($"Label {i} is {label}; expected a class in [0, {classCount}).", nameof(labels));
            }

            values[(i * classCount) + label] = 1f;
        }

        return result;
    }

    /// <summary>Shuffles the samples of all <paramref name="parts"/> (taken end to end) and splits them into two new datasets.</summary>
    internal static (LabeledDataset First, LabeledDataset Second) SplitShuffled(ReadOnlySpan<LabeledDataset> parts, double firstFraction, long seed)
    {
        CheckCompatible(parts);
        int total = 0;
        foreach (LabeledDataset part in parts)
        {
            total = checked(total + part.Count);
        }

        if (!(firstFraction > 0 && firstFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(firstFraction), firstFraction, "Expected a fraction strictly between 0 and 1.");
        }

        int firstCount = (int)Math.Round(total * firstFraction, MidpointRounding.AwayFromZero);
        if (firstCount <= 0 || firstCount >= total)
        {
            throw new ArgumentOutOfRangeException(nameof(firstFraction), firstFraction, $"Splitting {total} samples at {firstFraction} leaves an empty part ({firstCount} and {total - firstCount}).");
        }

        int[] order = new int[total];
        for (int i = 0; i < total; i++)
        {
            order[i] = i;
        }

        new SeededRandom(seed).Shuffle(order);
        return (Gather(parts, order.AsSpan(0, firstCount)), Gather(parts, order.AsSpan(firstCount)));
    }

    /// <summary>Copies the samples at <paramref name="indices"/> (indices into all parts taken end to end) into a new dataset.</summary>
    private static LabeledDataset Gather(ReadOnlySpan<LabeledDataset> parts, ReadOnlySpan<int> indices)
    {
        TensorShape sampleShape = parts[0].SampleShape;
        int sampleLength = sampleShape.ElementCount;
        int[] starts = new int[parts.Length + 1];
        for (int p = 0; p < parts.Length; p++)
        {
            starts[p + 1] = starts[p] + parts[p].Count;
        }

        float[] features = new float[checked((long)indices.Length * sampleLength)];
        int[] labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            int p = Array.BinarySearch(starts, index);
            p = p >= 0 ? p : ~p - 1; // starts are strictly increasing: every dataset has at least one sample

            LabeledDataset part = parts[p];
            int local = index - starts[p];
            part.Features.AsReadOnlySpan().Slice(local * sampleLength, sampleLength).CopyTo(features.AsSpan(i * sampleLength, sampleLength));
            labels[i] = part._labels[local];
        }

        Tensor tensor = Tensor.FromArray(features, sampleShape.Prepend(indices.Length).Dimensions);
        return new LabeledDataset(tensor, labels, parts[0].ClassCount, validated: true);
    }

    private static void CheckCompatible(ReadOnlySpan<LabeledDataset> parts)
    {
        if (parts.IsEmpty)
        {
            throw new ArgumentException("Expected at least one dataset.", nameof(parts));
        }

        LabeledDataset first = parts[0] ?? throw new ArgumentException("Dataset 0 is null.", nameof(parts));
        for (int i = 1; i < parts.Length; i++)
        {
            LabeledDataset part = parts[i] ?? throw new ArgumentException($"Dataset {i} is null.", nameof(parts));
            if (part.SampleShape != first.SampleShape || part.ClassCount != first.ClassCount)
            {
                throw new ArgumentException($"Dataset {i} has samples {part.SampleShape} and {part.ClassCount} classes but dataset 0 has {first.SampleShape} and {first.ClassCount}; they must match.", nameof(parts));
            }
        }
    }

    private LabeledDataset(Tensor features, int[] labels, int classCount, bool validated)
    {
        _ = validated;
        Features = features;
        _labels = labels;
        ClassCount = classCount;
    }
}
