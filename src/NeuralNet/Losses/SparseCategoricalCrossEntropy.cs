using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// Cross-entropy with integer class labels: <c>-log(p[label])</c> per sample, averaged over the batch by default
/// (Keras <c>sparse_categorical_crossentropy</c>).
/// </summary>
/// <remarks>
/// <para>Shapes: predictions (batch, classes); targets (batch) or (batch, 1) holding class indices stored as floats
/// (0, 1, ..., classes - 1). An index that is not a whole number in range throws, naming the sample. Sequence outputs
/// (batch, steps, classes) take targets (batch, steps) or (batch, steps, 1): every step is an entry.</para>
/// <para>With <see cref="IgnoreClass"/> (Keras' <c>ignore_class</c>) the entries whose target equals it contribute 0 and
/// are masked out of the reduction, so the mean is over the other entries (the value need not be a class index: -1 or
/// 255 work).</para>
/// <para>Probabilities are normalised per row and clipped to [1e-7, 1 - 1e-7] as in
/// <see cref="CategoricalCrossEntropy"/>; <c>fromLogits</c> and the fused softmax gradient work the same way.</para>
/// </remarks>
public sealed class SparseCategoricalCrossEntropy : Loss, ISoftmaxCrossEntropy
{
    /// <summary>Creates the loss.</summary>
    /// <param name="fromLogits">True when the model outputs logits (no final softmax).</param>
    /// <param name="ignoreClass">A target value to ignore (Keras' <c>ignore_class</c>), or null to use every entry.</param>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    public SparseCategoricalCrossEntropy(bool fromLogits = false, int? ignoreClass = null, LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
        FromLogits = fromLogits;
        IgnoreClass = ignoreClass;
    }

    /// <summary>Whether predictions are logits rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <summary>
    /// The target value whose entries are ignored (Keras' <c>ignore_class</c>): they contribute 0 to the loss, nothing to
    /// the gradient, and are left out of the count the means divide by; null when every entry counts.
    /// </summary>
    public int? IgnoreClass { get; }

    /// <inheritdoc/>
    public override string Name => "sparse_categorical_crossentropy";

    /// <inheritdoc/>
    private protected override bool TargetsShapedAsOutput => false;

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The targets are not one class index per output row.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        ReadOnlySpan<int> rowShape = outputShape.Rank == 0 ? default : outputShape.Dimensions[..^1];
        bool fits = targetShape.Dimensions.SequenceEqual(rowShape)
            || (targetShape.Rank == rowShape.Length + 1 && targetShape[-1] == 1 && targetShape.Dimensions[..^1].SequenceEqual(rowShape));
        if (outputShape.Rank == 0 || !fits)
        {
            throw new ArgumentException(
                $"{Name}: output {outputShape.ToBatchString()} does not match targets {targetShape.ToBatchString()}; expected one class index per sample, targets (None,) or (None, 1). Use CategoricalCrossEntropy for one-hot targets.",
                nameof(targetShape));
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A target is not a whole class index in [0, classes), classes being the output's last axis, nor <see cref="IgnoreClass"/> (the message names the sample).</exception>
    public override void ValidateTargets(Tensor targets, TensorShape outputShape)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (outputShape.Rank == 0)
        {
            return;
        }

        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        int perSample = LossChecks.ValuesPerSample(targets);
        for (int i = 0; i < t.Length; i++)
        {
            if (!Ignored(t[i]))
            {
                Label(Name, t[i], i / perSample, outputShape[-1]);
            }
        }
    }

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets)
    {
        int classes = Check(predictions, targets, null);
        return LossLoops.RowMean(predictions, targets, classes, 1, new RowValue(Name, FromLogits, IgnoreClass));
    }

    /// <inheritdoc/>
    /// <remarks>With <see cref="IgnoreClass"/>, an ignored entry counts as 0 in its sample's mean (Keras' unreduced values
    /// are 0 there); <see cref="Compute"/> instead divides by the entries not ignored.</remarks>
    /// <exception cref="ArgumentException">A target is not a class index (the message names the sample).</exception>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination)
    {
        int classes = Check(predictions, targets, null);
        LossLoops.RowMeanPerSample(Name, predictions, targets, classes, 1, destination, new RowValue(Name, FromLogits, IgnoreClass));
    }

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        int classes = Check(predictions, targets, gradient);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan();
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        int rows = t.Length;
        for (int row = 0; row < rows; row++)
        {
            int start = row * classes;
            ReadOnlySpan<float> pRow = p.Slice(start, classes);
            if (Ignored(t[row]))
            {
                g.Slice(start, classes).Clear();
                continue;
            }

            int label = Label(t, row, classes);
            if (FromLogits)
            {
                double logSumExp = CategoricalCrossEntropy.LogSumExp(pRow);
                for (int j = 0; j < classes; j++)
                {
                    g[start + j] = (float)((Math.Exp(pRow[j] - logSumExp) - (j == label ? 1 : 0)) / rows);
                }
            }
            else
            {
                // L = -log(clip(p_k / s)): dL/dp_j = (1 - [j = k] / q_k) / s while q_k is not clipped, 0 once it is (a
                // clipped q_k may be 0, and 0 · (1 - 1/0) would be NaN).
                double sum = CategoricalCrossEntropy.RowSum(pRow);
                double q = pRow[label] / sum;
                if (!LossChecks.Unclipped(q))
                {
                    g.Slice(start, classes).Clear();
                    continue;
                }

                for (int j = 0; j < classes; j++)
                {
                    g[start + j] = (float)((1 - (j == label ? 1 / q : 0)) / sum / rows);
                }
            }
        }
    }

    /// <inheritdoc/>
    void ISoftmaxCrossEntropy.LogitsGradient(Tensor probabilities, Tensor targets, Tensor gradient)
    {
        ThrowIfUnreduced(nameof(ISoftmaxCrossEntropy.LogitsGradient));
        MeanLogitsGradient(probabilities, targets, gradient);
        ScaleToReduction(probabilities, targets, gradient);
    }

    /// <summary>The fused gradient of the mean over rows, <c>(p - onehot) / rows</c>, 0 on ignored rows.</summary>
    internal override void MeanLogitsGradient(Tensor probabilities, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        int classes = Check(probabilities, targets, gradient);
        if (FromLogits)
        {
            throw new InvalidOperationException($"{Name} with fromLogits: true expects logits; the fused softmax gradient does not apply.");
        }

        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        float inverseRows = 1f / t.Length;
        System.Numerics.Tensors.TensorPrimitives.Multiply(probabilities.AsReadOnlySpan(), inverseRows, g);
        for (int row = 0; row < t.Length; row++)
        {
            if (Ignored(t[row]))
            {
                g.Slice(row * classes, classes).Clear();
                continue;
            }

            g[(row * classes) + Label(t, row, classes)] -= inverseRows;
        }
    }

    /// <inheritdoc/>
    internal override bool MasksEntries => IgnoreClass is not null;

    /// <inheritdoc/>
    internal override void MaskEntries(Tensor targets, Span<float> keep)
    {
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        for (int r = 0; r < t.Length; r++)
        {
            if (Ignored(t[r]))
            {
                keep[r] = 0f;
            }
        }
    }

    /// <inheritdoc/>
    internal override int ValidEntries(Tensor targets, int entries)
    {
        int valid = 0;
        foreach (float target in targets.AsReadOnlySpan())
        {
            valid += Ignored(target) ? 0 : 1;
        }

        return valid;
    }

    // Keras compares the target with ignore_class cast to the prediction's float type.
    private bool Ignored(float target) => IgnoreClass is int ignored && target == (float)ignored;

    private int Check(Tensor predictions, Tensor targets, Tensor? gradient)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        int classes = LossChecks.Classes(predictions);
        if (predictions.Length / classes != targets.Length)
        {
            throw new ArgumentException($"{Name}: output {predictions.Shape} does not match targets {targets.Shape}; expected one class index per row of the output.", nameof(targets));
        }

        LossChecks.CheckGradient(Name, predictions, gradient);
        return classes;
    }

    private int Label(ReadOnlySpan<float> targets, int row, int classes) => Label(Name, targets[row], row, classes);

    private static int Label(string loss, float value, int row, int classes)
    {
        if (!(value >= 0f && value < classes) || value != MathF.Floor(value))
        {
            throw new ArgumentException($"{loss}: target {value} of sample {row} is not a class index in [0, {classes}).", "targets");
        }

        return (int)value;
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("from_logits", FromLogits).Set("ignore_class", (long?)IgnoreClass);

    private readonly struct RowValue(string loss, bool fromLogits, int? ignoreClass) : IRowLoss
    {
        public double Value(int row, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets)
        {
            if (ignoreClass is int ignored && targets[0] == (float)ignored)
            {
                return 0;
            }

            int label = Label(loss, targets[0], row, predictions.Length);
            return fromLogits
                ? CategoricalCrossEntropy.LogSumExp(predictions) - predictions[label]
                : -Math.Log(LossChecks.Clip(predictions[label] / CategoricalCrossEntropy.RowSum(predictions)));
        }
    }
}
