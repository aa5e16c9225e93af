using System.Globalization;

namespace NeuralNet.Datasets;

/// <summary>
/// Splits aligned tensors — features, targets, sample weights: the same samples along the first axis — into training,
/// validation and test parts (scikit-learn's <c>train_test_split</c> for any tensors). The rows are shuffled with a seed
/// (the same seed gives the same split on every runtime) and copied, so each part owns its storage.
/// </summary>
/// <example><c>var (train, test) = DataSplit.TrainTest([x, y], testFraction: 0.2, seed: 1); model.Fit(train[0], train[1]);</c></example>
public static class DataSplit
{
    /// <summary>Splits into a training part and a test part of round(samples × <paramref name="testFraction"/>) samples.</summary>
    /// <param name="tensors">Tensors with the same number of samples (first axis), split alike.</param>
    /// <param name="testFraction">The test part's fraction of the samples, in (0, 1).</param>
    /// <param name="seed">The seed of the shuffle.</param>
    /// <param name="shuffle">False keeps the order: the test part is the last samples.</param>
    /// <returns>The parts, each with one tensor per input tensor, in order.</returns>
    /// <exception cref="ArgumentException">No tensors, or their sample counts differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is outside (0, 1), or a part would be empty.</exception>
    public static (Tensor[] Train, Tensor[] Test) TrainTest(IReadOnlyList<Tensor> tensors, double testFraction, long seed, bool shuffle = true)
    {
        Tensor[][] parts = Split(tensors, [testFraction], seed, shuffle);
        return (parts[0], parts[1]);
    }

    /// <summary>Splits into training, validation and test parts of the given fractions (the training part gets the rest).</summary>
    /// <param name="tensors">Tensors with the same number of samples (first axis), split alike.</param>
    /// <param name="validationFraction">The validation part's fraction, in (0, 1).</param>
    /// <param name="testFraction">The test part's fraction, in (0, 1); the two fractions add up to less than 1.</param>
    /// <param name="seed">The seed of the shuffle.</param>
    /// <param name="shuffle">False keeps the order: training, then validation, then test samples.</param>
    /// <returns>The parts, each with one tensor per input tensor, in order.</returns>
    /// <exception cref="ArgumentException">No tensors, or their sample counts differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A fraction is outside (0, 1), they add up to 1 or more, or a part would be empty.</exception>
    public static (Tensor[] Train, Tensor[] Validation, Tensor[] Test) TrainValidationTest(IReadOnlyList<Tensor> tensors, double validationFraction, double testFraction, long seed, bool shuffle = true)
    {
        Tensor[][] parts = Split(tensors, [validationFraction, testFraction], seed, shuffle);
        return (parts[0], parts[1], parts[2]);
    }

    // Part 0 gets what the later parts (round(n × fraction) each) leave.
    private static Tensor[][] Split(IReadOnlyList<Tensor> tensors, ReadOnlySpan<double> fractions, long seed, bool shuffle)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
        {
            throw new ArgumentException("DataSplit needs at least one tensor.", nameof(tensors));
        }

        int samples = tensors[0]?.Shape[0] ?? throw new ArgumentNullException(nameof(tensors));
        for (int i = 1; i < tensors.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(tensors[i], nameof(tensors));
            if (tensors[i].Shape[0] != samples)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"DataSplit splits tensors of the same samples, but tensor 0 has {samples} and tensor {i} has {tensors[i].Shape[0]} (shapes {tensors[0].Shape} and {tensors[i].Shape})."), nameof(tensors));
            }
        }

        double total = 0;
        var counts = new int[fractions.Length + 1];
        for (int k = 0; k < fractions.Length; k++)
        {
            double f = fractions[k];
            if (!(f > 0 && f < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(fractions), f, string.Create(CultureInfo.InvariantCulture, $"A split fraction must be in (0, 1) but got {f}."));
            }

            total += f;
            counts[k + 1] = (int)Math.Round(samples * f, MidpointRounding.AwayFromZero);
        }

        counts[0] = samples - counts.Skip(1).Sum();
        if (total >= 1 || counts.Any(c => c < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fractions), string.Create(CultureInfo.InvariantCulture,
                $"Splitting {samples} samples by fractions [{string.Join(", ", fractions.ToArray())}] gives parts of [{string.Join(", ", counts)}] samples; every part needs at least one and the fractions must add up to less than 1."));
        }

        var order = new int[samples];
        for (int i = 0; i < samples; i++)
        {
            order[i] = i;
        }

        if (shuffle)
        {
            new SeededRandom(seed).Shuffle(order);
        }

        var parts = new Tensor[counts.Length][];
        int start = 0;
        for (int k = 0; k < counts.Length; k++)
        {
            parts[k] = new Tensor[tensors.Count];
            for (int i = 0; i < tensors.Count; i++)
            {
                parts[k][i] = Gather(tensors[i], order.AsSpan(start, counts[k]));
            }

            start += counts[k];
        }

        return parts;
    }

    private static Tensor Gather(Tensor source, ReadOnlySpan<int> rows)
    {
        int stride = source.Length / source.Shape[0];
        var result = new Tensor(source.Shape.DropFirst().Prepend(rows.Length));
        ReadOnlySpan<float> from = source.AsReadOnlySpan();
        Span<float> to = result.AsSpan();
        for (int r = 0; r < rows.Length; r++)
        {
            from.Slice(rows[r] * stride, stride).CopyTo(to.Slice(r * stride, stride));
        }

        return result;
    }
}
