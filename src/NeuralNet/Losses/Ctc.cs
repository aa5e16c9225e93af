using System.Buffers;
using System.Globalization;

namespace NeuralNet.Losses;

/// <summary>
/// Keras' <c>CTC</c> loss (connectionist temporal classification), for sequence outputs whose alignment to the labels is
/// unknown: handwriting or speech recognition, where a model reads steps of an image or a sound and the target is the text.
/// Per sample it is −log of the probability of the label sequence summed over every alignment of it to the steps.
/// </summary>
/// <remarks>
/// <para>Shapes: predictions (batch, steps, classes) are <b>logits</b> (Keras applies <c>log_softmax</c> to them, as
/// <c>tf.nn.ctc_loss</c> and the JAX backend do), so end the model with a linear layer, not a softmax. Targets (batch,
/// max_label_length) hold class indices stored as floats; class 0 is both the CTC blank and the padding after each label,
/// as Keras' <c>mask_index = 0</c>: real labels are 1 .. classes − 1, left-aligned, and each sample's label length is its
/// count of non-zero entries (Keras' rule: the label is that many leading entries). Every sample uses all the steps.</para>
/// <para>The loss of a batch is the mean of its samples' losses by default (Keras' <c>sum_over_batch_size</c>); sample
/// weights weigh each sample. An output mask is refused: the loss has one value per sample, not per step.</para>
/// <para>Before training, <c>Fit</c> and <c>Evaluate</c> check the targets: whole numbers in [0, classes), no label after
/// a padding 0 (Keras would silently drop it), and no label longer than the steps can emit (a label needs one step per
/// class plus one between equal neighbours; Keras' TensorFlow backend gives an infinite loss there, its JAX backend a
/// large finite one). A direct <see cref="Loss.Compute"/> on
/// such a sample follows Keras' rule and gives +∞ with a zero gradient for an impossible one.</para>
/// <para>Computed per sample in float64 log space (forward-backward), so the loss and gradient are exact to float
/// rounding for long sequences; checked against Keras' <c>CTCTest</c> value and against a sum over every path.</para>
/// </remarks>
public sealed class Ctc : Loss
{
    /// <summary>The blank class, which is also the padding of the targets (Keras' <c>mask_index</c>).</summary>
    public const int Blank = 0;

    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How the per-sample values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    public Ctc(LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
    }

    /// <inheritdoc/>
    public override string Name => "ctc";

    /// <inheritdoc/>
    private protected override bool TargetsShapedAsOutput => false;

    /// <summary>
    /// The loss of the batch: the mean of the samples' CTC losses (each a whole sequence's −log-likelihood, not a mean over
    /// steps), or their sum for <see cref="LossReduction.Sum"/>.
    /// </summary>
    /// <param name="predictions">Logits, (batch, steps, classes).</param>
    /// <param name="targets">Labels, (batch, max_label_length), padded with 0.</param>
    /// <exception cref="ArgumentException">The shapes do not fit, or a target is not a class index (the message names the sample).</exception>
    /// <exception cref="InvalidOperationException"><see cref="Loss.Reduction"/> is <see cref="LossReduction.None"/>.</exception>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The output is not (None, steps, classes) with at least two classes, or the targets are not (None, max_label_length).</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        if (outputShape.Rank != 2 || outputShape[1] < 2 || targetShape.Rank != 1)
        {
            throw new ArgumentException(
                $"{Name}: output {outputShape.ToBatchString()} and targets {targetShape.ToBatchString()} do not fit; expected output (None, steps, classes) of logits with classes >= 2 (class 0 is the blank) and targets (None, max_label_length) of class indices padded with 0.",
                nameof(outputShape));
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">
    /// A target is not a whole class index in [0, classes), a label follows a padding 0, or a label needs more steps than
    /// the output has (the message names the sample).
    /// </exception>
    public override void ValidateTargets(Tensor targets, TensorShape outputShape)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (outputShape.Rank != 2 || targets.Rank != 2)
        {
            return;
        }

        int steps = outputShape[0], classes = outputShape[1], width = targets.Shape[1];
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        int[] labels = new int[width];
        for (int sample = 0; sample < targets.Shape[0]; sample++)
        {
            ReadOnlySpan<float> row = t.Slice(sample * width, width);
            int length = 0;
            for (int j = 0; j < width; j++)
            {
                float value = row[j];
                if (!(value >= 0 && value < classes && value == MathF.Floor(value)))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"{Name}: targets must be class indices in [0, {classes}) (0 is the blank and the padding), but sample {sample} holds {value} at position {j}."), nameof(targets));
                }

                if (value != Blank)
                {
                    if (length != j)
                    {
                        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                            $"{Name}: sample {sample} has label {value} at position {j} after a padding 0; labels must be left-aligned and padded with 0 at the end (0 is the blank, never a label)."), nameof(targets));
                    }

                    labels[length++] = (int)value;
                }
            }

            int needed = Kernels.CtcLattice.MinimumSteps(labels.AsSpan(0, length));
            if (needed > steps)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Name}: sample {sample}'s label of {length} classes needs at least {needed} steps (one per class, one more between equal neighbours) but the output has {steps}; no alignment exists. Give the model more steps or shorten the label."), nameof(targets));
            }
        }
    }

    /// <summary>
    /// Writes each sample's CTC loss, −log of the probability of its label summed over every alignment (one value for the
    /// whole sequence, not averaged over the steps); +∞ for a label no alignment fits. Allocates nothing after the first call.
    /// </summary>
    /// <param name="predictions">Logits, (batch, steps, classes).</param>
    /// <param name="targets">Labels, (batch, max_label_length), padded with 0.</param>
    /// <param name="destination">Receives one value per sample.</param>
    /// <exception cref="ArgumentException">The shapes do not fit, a target is not a class index, or <paramref name="destination"/> is not one value per sample.</exception>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination)
    {
        (int samples, int steps, int classes, int width) = Check(predictions, targets, null);
        if (destination.Length != samples)
        {
            throw new ArgumentException(
                $"{Name}: destination holds {destination.Length} values but the batch {predictions.Shape} has {samples} samples; pass one value per sample.", nameof(destination));
        }

        ForEachSample(predictions, targets, steps, classes, width, default, destination, 0);
    }

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets)
    {
        (int samples, int steps, int classes, int width) = Check(predictions, targets, null);
        if (samples == 0)
        {
            return float.NaN; // Keras' mean over no values
        }

        return (float)(ForEachSample(predictions, targets, steps, classes, width, default, default, 0) / samples);
    }

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        (int samples, int steps, int classes, int width) = Check(predictions, targets, gradient);
        if (samples > 0)
        {
            ForEachSample(predictions, targets, steps, classes, width, gradient.AsSpan(), default, 1.0 / samples);
        }
    }

    /// <inheritdoc/>
    internal override double ReductionScale(Tensor predictions, ReadOnlySpan<float> sampleWeights) =>
        LossReductionNames.Unmasked(Reduction, predictions.Rank == 0 ? 1 : predictions.Shape[0], sampleWeights);

    /// <inheritdoc/>
    internal override string? RefusesEntryWeights(int rank) =>
        $"{Name} gives one value per sample over all its steps, so it takes one weight per sample, (batch) or (batch, 1)";

    /// <inheritdoc/>
    internal override void CheckTakesMask(int rank) => throw new NotSupportedException(
        $"{Name}: the output carries a mask (or the loss was given masked rows); CTC gives one value per sample over all its steps and takes no mask. Remove the Masking layer or mask_zero before this output.");

    // The sum of the samples' losses; writes each into perSample and, with a gradient, scale · d loss / d logits.
    private static double ForEachSample(Tensor predictions, Tensor targets, int steps, int classes, int width, Span<float> gradient, Span<float> perSample, double scale)
    {
        int samples = predictions.Shape[0], states = Kernels.CtcLattice.States(width), cells = steps * classes;
        ArrayPool<double> pool = ArrayPool<double>.Shared;
        double[] logProbs = pool.Rent(cells), alpha = pool.Rent(steps * states);
        double[]? beta = gradient.IsEmpty ? null : pool.Rent(steps * states);
        int[] labels = ArrayPool<int>.Shared.Rent(Math.Max(width, 1));
        try
        {
            ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
            double total = 0;
            for (int s = 0; s < samples; s++)
            {
                ReadOnlySpan<int> label = Labels(t.Slice(s * width, width), labels);
                ReadOnlySpan<float> logits = p.Slice(s * cells, cells);
                double loss = beta is null
                    ? Kernels.CtcLattice.Loss(logits, classes, label, Blank, logProbs, alpha)
                    : Kernels.CtcLattice.LossAndGradient(logits, classes, label, Blank, scale, logProbs, alpha, beta, gradient.Slice(s * cells, cells));
                if (!perSample.IsEmpty)
                {
                    perSample[s] = (float)loss;
                }

                total += loss;
            }

            return total;
        }
        finally
        {
            pool.Return(logProbs);
            pool.Return(alpha);
            if (beta is not null)
            {
                pool.Return(beta);
            }

            ArrayPool<int>.Shared.Return(labels);
        }
    }

    // Keras' rule: the label is the first (number of non-zero entries) entries of the row.
    private static ReadOnlySpan<int> Labels(ReadOnlySpan<float> row, int[] labels)
    {
        int length = 0;
        foreach (float value in row)
        {
            if (value != Blank)
            {
                length++;
            }
        }

        for (int j = 0; j < length; j++)
        {
            labels[j] = (int)row[j];
        }

        return labels.AsSpan(0, length);
    }

    private (int Samples, int Steps, int Classes, int Width) Check(Tensor predictions, Tensor targets, Tensor? gradient)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        if (predictions.Rank != 3 || targets.Rank != 2 || targets.Shape[0] != predictions.Shape[0] || predictions.Shape[2] < 2)
        {
            throw new ArgumentException(
                $"{Name}: output {predictions.Shape} and targets {targets.Shape} do not fit; expected output (batch, steps, classes) of logits with classes >= 2 and targets (batch, max_label_length) with the same batch.",
                nameof(targets));
        }

        LossChecks.CheckGradient(Name, predictions, gradient);
        int classes = predictions.Shape[2], width = targets.Shape[1];
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        for (int i = 0; i < t.Length; i++)
        {
            float value = t[i];
            if (!(value >= 0 && value < classes && value == MathF.Floor(value)))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Name}: targets must be class indices in [0, {classes}) (0 is the blank and the padding), but sample {i / width} holds {value} at position {i % width}."), nameof(targets));
            }
        }

        return (predictions.Shape[0], predictions.Shape[1], classes, targets.Shape[1]);
    }
}
