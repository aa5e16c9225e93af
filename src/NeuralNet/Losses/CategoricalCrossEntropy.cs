using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// Cross-entropy between one-hot (or soft) targets and predicted class probabilities:
/// <c>-sum_j t_j log(p_j)</c> per sample, averaged over the batch by default (Keras <c>categorical_crossentropy</c>).
/// </summary>
/// <remarks>
/// <para>Shapes: predictions and targets (batch, classes); more leading axes are allowed, every row over the last
/// axis then counts as a sample of the mean.</para>
/// <para>With <c>fromLogits: false</c> (the default) each prediction row is first divided by its sum and clipped to
/// [1e-7, 1 - 1e-7], as Keras does. With <c>fromLogits: true</c> the predictions are logits and the loss is computed
/// through a max-subtracted log-sum-exp. When the model ends with softmax, the model uses the fused gradient
/// (see <see cref="ISoftmaxCrossEntropy"/>). With <c>labelSmoothing</c> s the targets become
/// <c>t (1 - s) + s / classes</c> before the loss, as in Keras.</para>
/// </remarks>
public sealed class CategoricalCrossEntropy : Loss, ISoftmaxCrossEntropy
{
    /// <summary>Creates the loss.</summary>
    /// <param name="fromLogits">True when the model outputs logits (no final softmax).</param>
    /// <param name="labelSmoothing">In [0, 1]: targets become <c>t (1 - s) + s / classes</c>; 0 leaves them unchanged.</param>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1].</exception>
    public CategoricalCrossEntropy(bool fromLogits = false, double labelSmoothing = 0, LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
        FromLogits = fromLogits;
        LabelSmoothing = LossChecks.LabelSmoothing(nameof(CategoricalCrossEntropy), labelSmoothing);
    }

    /// <summary>Whether predictions are logits rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <summary>How far targets are spread toward the uniform distribution, in [0, 1].</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc/>
    public override string Name => "categorical_crossentropy";

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ: "output (None, 5) does not match targets (None, 10)".</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) =>
        LossChecks.SameSampleShape(Name, outputShape, targetShape, oneHot: true);

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets)
    {
        LossChecks.SameShape(Name, predictions, targets);
        int classes = LossChecks.Classes(predictions);
        return LossLoops.RowMean(predictions, targets, classes, classes, new RowValue(FromLogits, LabelSmoothing));
    }

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination)
    {
        LossChecks.SameShape(Name, predictions, targets);
        int classes = LossChecks.Classes(predictions);
        LossLoops.RowMeanPerSample(Name, predictions, targets, classes, classes, destination, new RowValue(FromLogits, LabelSmoothing));
    }

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.SameShape(Name, predictions, targets, gradient);
        int classes = LossChecks.Classes(predictions);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan();
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        int rows = p.Length / classes;
        double s = LabelSmoothing;
        if (FromLogits)
        {
            for (int start = 0; start < p.Length; start += classes)
            {
                ReadOnlySpan<float> pRow = p.Slice(start, classes);
                double logSumExp = LogSumExp(pRow);
                double targetSum = SmoothedSum(t.Slice(start, classes), s);
                for (int j = 0; j < classes; j++)
                {
                    double softmax = Math.Exp(pRow[j] - logSumExp);
                    g[start + j] = (float)(((softmax * targetSum) - LossChecks.SmoothCategorical(t[start + j], s, classes)) / rows);
                }
            }

            return;
        }

        // L = -sum_i t_i log(clip(p_i / s)), s = sum_i p_i:
        // dL/dp_j = (sum_i t_i c_i - t_j c_j / q_j) / s, with q = p / s and c_i = 1 where q_i is not clipped.
        for (int start = 0; start < p.Length; start += classes)
        {
            ReadOnlySpan<float> pRow = p.Slice(start, classes);
            ReadOnlySpan<float> tRow = t.Slice(start, classes);
            double sum = RowSum(pRow);
            double active = 0;
            for (int i = 0; i < classes; i++)
            {
                if (LossChecks.Unclipped(pRow[i] / sum))
                {
                    active += LossChecks.SmoothCategorical(tRow[i], s, classes);
                }
            }

            for (int j = 0; j < classes; j++)
            {
                double q = pRow[j] / sum;
                double own = LossChecks.Unclipped(q) ? LossChecks.SmoothCategorical(tRow[j], s, classes) / q : 0;
                g[start + j] = (float)((active - own) / sum / rows);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>With label smoothing the targets t are the smoothed ones; the form <c>(p · Σt − t) / rows</c> is unchanged
    /// (times the number of rows for <see cref="LossReduction.Sum"/>).</remarks>
    void ISoftmaxCrossEntropy.LogitsGradient(Tensor probabilities, Tensor targets, Tensor gradient)
    {
        ThrowIfUnreduced(nameof(ISoftmaxCrossEntropy.LogitsGradient));
        MeanLogitsGradient(probabilities, targets, gradient);
        ScaleToReduction(probabilities, targets, gradient);
    }

    /// <summary>The fused gradient of the mean over rows, <c>(p · Σt − t) / rows</c>.</summary>
    internal override void MeanLogitsGradient(Tensor probabilities, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.SameShape(Name, probabilities, targets, gradient);
        if (FromLogits)
        {
            throw new InvalidOperationException($"{Name} with fromLogits: true expects logits; the fused softmax gradient does not apply.");
        }

        int classes = LossChecks.Classes(probabilities);
        ReadOnlySpan<float> p = probabilities.AsReadOnlySpan();
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        float inverseRows = (float)classes / p.Length;
        double s = LabelSmoothing;
        for (int start = 0; start < p.Length; start += classes)
        {
            float targetSum = (float)SmoothedSum(t.Slice(start, classes), s);
            for (int j = start; j < start + classes; j++)
            {
                float target = s == 0 ? t[j] : (float)LossChecks.SmoothCategorical(t[j], s, classes);
                g[j] = ((p[j] * targetSum) - target) * inverseRows;
            }
        }
    }

    internal static double RowSum(ReadOnlySpan<float> row)
    {
        double sum = 0;
        foreach (float v in row)
        {
            sum += v;
        }

        return sum;
    }

    internal static double LogSumExp(ReadOnlySpan<float> row)
    {
        float max = float.NegativeInfinity;
        foreach (float v in row)
        {
            max = Math.Max(max, v);
        }

        double sum = 0;
        foreach (float v in row)
        {
            sum += Math.Exp(v - (double)max);
        }

        return max + Math.Log(sum);
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("from_logits", FromLogits).Set("label_smoothing", LabelSmoothing);

    // The sum of a row's smoothed targets: (1 - s) sum(t) + s.
    private static double SmoothedSum(ReadOnlySpan<float> targets, double labelSmoothing) =>
        (RowSum(targets) * (1 - labelSmoothing)) + labelSmoothing;

    private readonly struct RowValue(bool fromLogits, double labelSmoothing) : IRowLoss
    {
        public double Value(int row, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets)
        {
            int classes = predictions.Length;
            double total = 0;
            if (fromLogits)
            {
                double logSumExp = LogSumExp(predictions);
                for (int j = 0; j < classes; j++)
                {
                    total -= LossChecks.SmoothCategorical(targets[j], labelSmoothing, classes) * (predictions[j] - logSumExp);
                }

                return total;
            }

            double sum = RowSum(predictions);
            for (int j = 0; j < classes; j++)
            {
                double target = LossChecks.SmoothCategorical(targets[j], labelSmoothing, classes);
                if (target != 0)
                {
                    total -= target * Math.Log(LossChecks.Clip(predictions[j] / sum));
                }
            }

            return total;
        }
    }
}
