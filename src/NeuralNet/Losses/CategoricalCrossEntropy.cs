using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// Cross-entropy between one-hot (or soft) targets and predicted class probabilities:
/// <c>-sum_j t_j log(p_j)</c> per sample, averaged over the batch (Keras <c>categorical_crossentropy</c>).
/// </summary>
/// <remarks>
/// <para>Shapes: predictions and targets (batch, classes); more leading axes are allowed, every row over the last
/// axis then counts as a sample of the mean.</para>
/// <para>With <c>fromLogits: false</c> (the default) each prediction row is first divided by its sum and clipped to
/// [1e-7, 1 - 1e-7], as Keras does. With <c>fromLogits: true</c> the predictions are logits and the loss is computed
/// through a max-subtracted log-sum-exp. When the model ends with softmax, the model uses the fused gradient
/// (see <see cref="ISoftmaxCrossEntropy"/>).</para>
/// </remarks>
public sealed class CategoricalCrossEntropy : Loss, ISoftmaxCrossEntropy
{
    /// <summary>Creates the loss.</summary>
    /// <param name="fromLogits">True when the model outputs logits (no final softmax).</param>
    public CategoricalCrossEntropy(bool fromLogits = false)
    {
        FromLogits = fromLogits;
    }

    /// <summary>Whether predictions are logits rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <inheritdoc/>
    public override string Name => "categorical_crossentropy";

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ: "output (None, 5) does not match targets (None, 10)".</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) =>
        LossChecks.SameSampleShape(Name, outputShape, targetShape, oneHot: true);

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets)
    {
        LossChecks.SameShape(Name, predictions, targets);
        int classes = LossChecks.Classes(predictions);
        return LossLoops.RowMean(predictions, targets, classes, classes, new RowValue(FromLogits));
    }

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination)
    {
        LossChecks.SameShape(Name, predictions, targets);
        int classes = LossChecks.Classes(predictions);
        LossLoops.RowMeanPerSample(Name, predictions, targets, classes, classes, destination, new RowValue(FromLogits));
    }

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.SameShape(Name, predictions, targets, gradient);
        int classes = LossChecks.Classes(predictions);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan();
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        int rows = p.Length / classes;
        if (FromLogits)
        {
            for (int start = 0; start < p.Length; start += classes)
            {
                ReadOnlySpan<float> pRow = p.Slice(start, classes);
                double logSumExp = LogSumExp(pRow);
                double targetSum = RowSum(t.Slice(start, classes));
                for (int j = 0; j < classes; j++)
                {
                    double softmax = Math.Exp(pRow[j] - logSumExp);
                    g[start + j] = (float)(((softmax * targetSum) - t[start + j]) / rows);
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
                    active += tRow[i];
                }
            }

            for (int j = 0; j < classes; j++)
            {
                double q = pRow[j] / sum;
                double own = LossChecks.Unclipped(q) ? tRow[j] / q : 0;
                g[start + j] = (float)((active - own) / sum / rows);
            }
        }
    }

    /// <inheritdoc/>
    void ISoftmaxCrossEntropy.LogitsGradient(Tensor probabilities, Tensor targets, Tensor gradient)
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
        for (int start = 0; start < p.Length; start += classes)
        {
            float targetSum = (float)RowSum(t.Slice(start, classes));
            for (int j = start; j < start + classes; j++)
            {
                g[j] = ((p[j] * targetSum) - t[j]) * inverseRows;
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
    public override Config GetConfig() => new Config().Set("from_logits", FromLogits);

    private readonly struct RowValue(bool fromLogits) : IRowLoss
    {
        public double Value(int row, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets)
        {
            double total = 0;
            if (fromLogits)
            {
                double logSumExp = LogSumExp(predictions);
                for (int j = 0; j < predictions.Length; j++)
                {
                    total -= targets[j] * (predictions[j] - logSumExp);
                }

                return total;
            }

            double sum = RowSum(predictions);
            for (int j = 0; j < predictions.Length; j++)
            {
                if (targets[j] != 0f)
                {
                    total -= targets[j] * Math.Log(LossChecks.Clip(predictions[j] / sum));
                }
            }

            return total;
        }
    }
}
