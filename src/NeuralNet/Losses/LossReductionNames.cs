namespace NeuralNet.Losses;

/// <summary>Keras' strings for <see cref="LossReduction"/>, as its configurations write them (<c>None</c> as JSON null).</summary>
internal static class LossReductionNames
{
    /// <summary>The Keras string, or null for <see cref="LossReduction.None"/> (Keras writes <c>None</c>).</summary>
    public static string? ToKeras(LossReduction reduction) => reduction switch
    {
        LossReduction.SumOverBatchSize => "sum_over_batch_size",
        LossReduction.Sum => "sum",
        LossReduction.Mean => "mean",
        LossReduction.MeanWithSampleWeight => "mean_with_sample_weight",
        _ => null,
    };

    /// <summary>The reduction a Keras string names (null and <c>"none"</c> both mean no reduction), or null if none does.</summary>
    public static LossReduction? FromKeras(string? name) => name switch
    {
        null or "none" => LossReduction.None,
        "sum_over_batch_size" => LossReduction.SumOverBatchSize,
        "sum" => LossReduction.Sum,
        "mean" => LossReduction.Mean,
        "mean_with_sample_weight" => LossReduction.MeanWithSampleWeight,
        _ => null,
    };

    /// <summary>Returns <paramref name="reduction"/> when it is one of the enum's values, else throws naming it.</summary>
    public static LossReduction Check(string loss, LossReduction reduction) =>
        Enum.IsDefined(reduction)
            ? reduction
            : throw new ArgumentOutOfRangeException(nameof(reduction), reduction,
                $"{loss} expects a LossReduction (SumOverBatchSize, Sum, Mean, MeanWithSampleWeight or None) but got reduction={(int)reduction}.");

    /// <summary>
    /// The factor that turns the plain mean of the weighted entries, (1/entries)·Σ w·loss, into the reduction, for a batch
    /// without a mask: <paramref name="entries"/> for a sum; entries / Σ w for <c>mean_with_sample_weight</c> with sample
    /// weights, so the loss is Σ w·loss / Σ w with Σ w the sum of the weights as given, one per sample (Keras'
    /// <c>reduce_values</c> sums the (batch, 1) weights it broadcast over a sample's steps without broadcasting them);
    /// 1 otherwise.
    /// </summary>
    public static double Unmasked(LossReduction reduction, int entries, ReadOnlySpan<float> sampleWeights)
    {
        if (reduction == LossReduction.Sum)
        {
            return entries;
        }

        if (reduction != LossReduction.MeanWithSampleWeight || sampleWeights.IsEmpty)
        {
            return 1;
        }

        double total = 0;
        foreach (float w in sampleWeights)
        {
            total += w;
        }

        // Keras' divide_no_nan: weights that sum to 0 give a loss of 0.
        return total == 0 ? 0 : entries / total;
    }

    /// <summary>
    /// The factor for a masked batch of <paramref name="entries"/> entries (Keras' <c>apply_mask</c>), applied to
    /// mask·w·loss before the plain mean: entries / valid for the means, entries for a sum, entries / Σ mask·w for
    /// <c>mean_with_sample_weight</c>; 0 where the divisor is 0.
    /// </summary>
    public static double Masked(LossReduction reduction, int entries, double valid, double weightedValid) => reduction switch
    {
        LossReduction.Sum => entries,
        LossReduction.MeanWithSampleWeight => weightedValid == 0 ? 0 : entries / weightedValid,
        _ => valid == 0 ? 0 : entries / valid,
    };
}
