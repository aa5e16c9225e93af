namespace NeuralNet.Losses;

/// <summary>
/// The overlap losses (<see cref="Dice"/>, <see cref="Tversky"/>): a ratio of sums over a group of elements, where Keras'
/// <c>axis</c> names the group. With <c>axis</c> null (Keras' default) the sums run over every element of the batch, so
/// one value stands for the whole batch; with every axis but the batch axis they run over each sample, one value each.
/// </summary>
internal static class OverlapLoss
{
    /// <summary>Checks the axes Keras' <c>axis</c> names, as far as can be known without the output's rank.</summary>
    public static int[]? CheckAxis(string loss, int[]? axis)
    {
        if (axis is null)
        {
            return null;
        }

        if (axis.Length == 0)
        {
            throw new ArgumentException(
                $"{loss}: axis is empty, which sums over no axis; pass null (the whole batch, Keras' default) or every axis but the batch axis (one value per sample).",
                nameof(axis));
        }

        return (int[])axis.Clone();
    }

    /// <summary>
    /// Whether the sums run over the whole batch (true) or over each sample (false) for a batch of shape
    /// <paramref name="shape"/> (or, when <paramref name="perSample"/>, outputs of that per-sample shape); throws for
    /// Keras' other axis tuples, which leave several values per sample (per class, say) that the loss framework's one
    /// value per sample cannot carry. Allocates nothing unless it throws.
    /// </summary>
    public static bool WholeBatch(string loss, int[]? axis, TensorShape shape, bool perSample = false)
    {
        if (axis is null)
        {
            return true;
        }

        int rank = shape.Rank + (perSample ? 1 : 0);
        Span<bool> named = rank <= 64 ? stackalloc bool[rank] : new bool[rank];
        bool batch = false;
        foreach (int a in axis)
        {
            int normalized = a < 0 ? a + rank : a;
            if (normalized < 0 || normalized >= rank || named[normalized])
            {
                throw new ArgumentException(
                    $"{loss}: axis [{string.Join(", ", axis)}] does not fit output {Describe(shape, perSample)} of rank {rank}: each axis must be in [-{rank}, {rank - 1}] and named once.",
                    nameof(axis));
            }

            named[normalized] = true;
            batch |= normalized == 0;
        }

        if (axis.Length == rank)
        {
            return true;
        }

        if (rank >= 2 && !batch && axis.Length == rank - 1)
        {
            return false;
        }

        string samples = string.Join(", ", Enumerable.Range(1, Math.Max(rank - 1, 0)));
        throw new ArgumentException(
            $"{loss}: axis [{string.Join(", ", axis)}] on output {Describe(shape, perSample)} is not supported: it leaves several values per sample. Pass null (Keras' default: one value for the whole batch) or every axis but the batch axis ([{samples}] here: one value per sample).",
            nameof(axis));
    }

    private static string Describe(TensorShape shape, bool perSample) => perSample ? shape.ToBatchString() : shape.ToString();

    /// <summary>The groups the sums run over: their count and their length (all elements of a group are contiguous).</summary>
    public static (int Groups, int Size) Layout(Tensor predictions, bool wholeBatch)
    {
        int groups = wholeBatch || predictions.Rank == 0 ? 1 : predictions.Shape[0];
        return groups == 0 ? (0, 0) : (groups, predictions.Length / groups);
    }

    /// <summary>The mean of the groups' losses (the one group's loss for the whole batch).</summary>
    public static float Mean<TRatio>(Tensor predictions, Tensor targets, bool wholeBatch, TRatio ratio)
        where TRatio : struct, IOverlapRatio
    {
        (int groups, int size) = Layout(predictions, wholeBatch);
        if (groups == 0)
        {
            return float.NaN; // an empty batch, as Keras' mean over no values
        }

        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        double total = 0;
        for (int g = 0; g < groups; g++)
        {
            Sums s = Sums.Of(p.Slice(g * size, size), t.Slice(g * size, size));
            total += ratio.Loss(s);
        }

        return (float)(total / groups);
    }

    /// <summary>Each sample's loss; for the whole batch every sample carries the batch's one value (Keras broadcasts it against the sample weights).</summary>
    public static void PerSample<TRatio>(string loss, Tensor predictions, Tensor targets, bool wholeBatch, Span<float> destination, TRatio ratio)
        where TRatio : struct, IOverlapRatio
    {
        int samples = LossLoops.Samples(loss, predictions, destination);
        if (samples == 0)
        {
            return;
        }

        if (wholeBatch)
        {
            destination.Fill(Mean(predictions, targets, wholeBatch: true, ratio));
            return;
        }

        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        int size = p.Length / samples;
        for (int s = 0; s < samples; s++)
        {
            destination[s] = (float)ratio.Loss(Sums.Of(p.Slice(s * size, size), t.Slice(s * size, size)));
        }
    }

    /// <summary>The gradient of <see cref="Mean"/>.</summary>
    public static void MeanGradient<TRatio>(Tensor predictions, Tensor targets, Tensor gradient, bool wholeBatch, TRatio ratio)
        where TRatio : struct, IOverlapRatio
    {
        (int groups, int size) = Layout(predictions, wholeBatch);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        Span<float> gradients = gradient.AsSpan();
        for (int g = 0; g < groups; g++)
        {
            ReadOnlySpan<float> tg = t.Slice(g * size, size);
            Sums s = Sums.Of(p.Slice(g * size, size), tg);
            Span<float> dg = gradients.Slice(g * size, size);
            for (int j = 0; j < size; j++)
            {
                dg[j] = (float)(ratio.Slope(tg[j], s) / groups);
            }
        }
    }

    /// <summary>
    /// The factor from the mean of the groups' losses (times the sample weights) to Keras' reduction. Keras returns a
    /// whole-batch loss, a scalar, unchanged by any reduction; with sample weights it broadcasts it to one value per
    /// sample (L·w) and reduces those: L·mean(w), L·Σw for <c>sum</c>, L for <c>mean_with_sample_weight</c>.
    /// </summary>
    public static double ReductionScale(LossReduction reduction, Tensor predictions, bool wholeBatch, ReadOnlySpan<float> sampleWeights)
    {
        int samples = predictions.Rank == 0 ? 1 : predictions.Shape[0];
        if (!wholeBatch)
        {
            return LossReductionNames.Unmasked(reduction, samples, sampleWeights);
        }

        if (sampleWeights.IsEmpty)
        {
            return 1;
        }

        // One value for the whole batch, which Keras broadcasts against the weights: a value per sample in effect.
        return reduction == LossReduction.Sum ? sampleWeights.Length : LossReductionNames.Unmasked(reduction, sampleWeights.Length, sampleWeights);
    }

    /// <summary>The refusal of an output mask (Keras cannot broadcast a (batch, steps) mask against these values either).</summary>
    public static NotSupportedException MaskRefused(string loss) => new(
        $"{loss}: the output carries a mask (or the loss was given masked rows); the overlap losses sum over whole samples or the whole batch and take no mask. Remove the Masking layer or mask_zero before this output, or use a per-element loss.");

    /// <summary>Why the overlap losses take no weights per entry.</summary>
    public static string EntryWeightsRefused(string loss) =>
        $"{loss} sums over whole samples or the whole batch, so its values are not one per entry; give one weight per sample, (batch) or (batch, 1)";

    /// <summary>Writes Keras' <c>axis</c>: null, or the list of axes.</summary>
    public static Serialization.Config SetAxis(Serialization.Config config, int[]? axis) =>
        axis is null ? config.SetNull("axis") : config.Set("axis", axis.AsSpan());

    /// <summary>The sums of one group: Σ t·p, Σ t and Σ p, in float64.</summary>
    internal readonly record struct Sums(double Intersection, double Targets, double Predictions)
    {
        public static Sums Of(ReadOnlySpan<float> p, ReadOnlySpan<float> t)
        {
            double intersection = 0, targets = 0, predictions = 0;
            for (int j = 0; j < p.Length; j++)
            {
                intersection += (double)t[j] * p[j];
                targets += t[j];
                predictions += p[j];
            }

            return new Sums(intersection, targets, predictions);
        }
    }
}

/// <summary>An overlap loss as a function of its group's sums, and its derivative with respect to one prediction.</summary>
internal interface IOverlapRatio
{
    /// <summary>The loss of a group with sums <paramref name="sums"/>.</summary>
    double Loss(OverlapLoss.Sums sums);

    /// <summary>dLoss/dp_j for the element of target <paramref name="target"/> in a group with sums <paramref name="sums"/>.</summary>
    double Slope(double target, OverlapLoss.Sums sums);
}
