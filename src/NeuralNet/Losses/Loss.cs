using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// A training objective: a per-entry loss reduced to one number (by default the mean over the batch, Keras'
/// <c>sum_over_batch_size</c>; see <see cref="Reduction"/>), and its gradient.
/// </summary>
public abstract class Loss
{
    private bool? _writesEntries;
    private bool? _writesPerSample;

    /// <summary>Creates a loss that reduces by <see cref="LossReduction.SumOverBatchSize"/>, the mean over the batch.</summary>
    protected Loss()
    {
    }

    // The built-in losses take Keras' reduction; a loss of your own computes the mean in Compute and Gradient, so it keeps
    // the default (the trainer weights and masks that mean).
    private protected Loss(LossReduction reduction)
    {
        Reduction = LossReductionNames.Check(GetType().Name, reduction);
        IsBuiltIn = true;
    }

    /// <summary>
    /// Whether this is one of the library's losses (made through the constructor that takes a reduction), which the trainer
    /// hands a masked output's rows; a loss of your own sees the output's own shape, masked or not.
    /// </summary>
    internal bool IsBuiltIn { get; }

    /// <summary>
    /// How the per-entry values become the loss (Keras' <c>reduction</c>): <see cref="Compute"/>, <see cref="Gradient"/>,
    /// <c>Fit</c> and <c>Evaluate</c> all follow it. A loss of your own always has
    /// <see cref="LossReduction.SumOverBatchSize"/>.
    /// </summary>
    public LossReduction Reduction { get; }

    /// <summary>The identifier used in saved configurations and logs, as Keras names it (<c>categorical_crossentropy</c>).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Checks that targets of per-sample shape <paramref name="targetShape"/> fit model outputs of per-sample
    /// shape <paramref name="outputShape"/>, before any training, and throws a message naming both, such as
    /// "output (None, 5) does not match targets (None, 10)".
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit this loss.</exception>
    public abstract void ValidateShapes(TensorShape outputShape, TensorShape targetShape);

    /// <summary>
    /// Checks the values of a whole target tensor before training, where a shape check cannot see the mistake (binary
    /// cross-entropy's targets must be in [0, 1]); throws naming the sample. Does nothing unless a loss overrides it.
    /// </summary>
    /// <param name="targets">All targets, (samples, ...).</param>
    /// <exception cref="ArgumentException">A target value is not one this loss accepts.</exception>
    public virtual void ValidateTargets(Tensor targets)
    {
    }

    /// <summary>
    /// Checks the values of a whole target tensor before training, knowing the per-sample shape of the output it is
    /// compared with (a sparse loss checks that every class index is below the output's last axis); throws naming the
    /// sample. Calls <see cref="ValidateTargets(Tensor)"/> unless a loss overrides it.
    /// </summary>
    /// <param name="targets">All targets, (samples, ...).</param>
    /// <param name="outputShape">The per-sample shape of the model's output for these targets.</param>
    /// <exception cref="ArgumentException">A target value is not one this loss accepts.</exception>
    public virtual void ValidateTargets(Tensor targets, TensorShape outputShape) => ValidateTargets(targets);

    /// <summary>
    /// The loss of the batch, reduced as <see cref="Reduction"/> says: the mean over the entries (the rows of the last
    /// axis) by default, their sum for <see cref="LossReduction.Sum"/>.
    /// </summary>
    /// <param name="predictions">The model's outputs, (batch, ...).</param>
    /// <param name="targets">The targets for the batch.</param>
    /// <exception cref="InvalidOperationException"><see cref="Reduction"/> is <see cref="LossReduction.None"/>, which gives no single loss.</exception>
    public abstract float Compute(Tensor predictions, Tensor targets);

    /// <summary>
    /// Writes the loss of each sample (each row of the first axis) into <paramref name="destination"/>: Keras' unreduced
    /// values, averaged over a sample's steps when it has several rows, whatever <see cref="Reduction"/> is. With the
    /// default reduction their mean is <see cref="Compute"/>'s result (up to float rounding), and weighting them per
    /// sample gives Keras' sample-weighted loss: <c>sum(w[s] * destination[s]) / batch</c>. Allocates nothing.
    /// </summary>
    /// <param name="predictions">The model's outputs, (batch, ...).</param>
    /// <param name="targets">The targets for the batch, as for <see cref="Compute"/>.</param>
    /// <param name="destination">Receives one value per sample; its length must be the batch size.</param>
    /// <exception cref="ArgumentException">The shapes do not fit, or <paramref name="destination"/> is not one value per sample.</exception>
    /// <exception cref="NotSupportedException">
    /// The loss does not override this method: every built-in loss does; a loss of your own must override it to be
    /// used with sample or class weights.
    /// </exception>
    public virtual void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination) =>
        throw new NotSupportedException(
            $"{GetType().Name} ('{Name}') does not compute per-sample losses: override Loss.ComputePerSample to write one value per sample (their mean equal to Compute) before using it with sample or class weights (sampleWeight, classWeight).");

    /// <summary>
    /// For a loss of your own on an output that carries a mask (an <c>Embedding(maskZero: true)</c> or <c>Masking</c>
    /// upstream): writes the loss of each entry, each row of the last axis (Keras' unreduced values: batch·steps values for
    /// a (batch, steps, classes) output, in row-major order), whose plain mean is <see cref="Compute"/>'s result. The
    /// trainer weighs them by the mask as Keras does (Σ mask·value / Σ mask, times sample weights when given), and scales
    /// <see cref="Gradient"/>'s rows by the same weights; every method sees the output's own shape, masked or not. Called
    /// only for a masked output of a loss of your own (the built-in losses take masks their own way); the trainer asks
    /// whether it is overridden before the first batch of an output sure to carry a mask. Should allocate nothing.
    /// </summary>
    /// <param name="predictions">The model's outputs, (batch, ..., last axis), as <see cref="Compute"/> sees them.</param>
    /// <param name="targets">The targets for the batch, as <see cref="Compute"/> sees them.</param>
    /// <param name="destination">Receives one value per entry: its length is the number of rows of the last axis.</param>
    /// <exception cref="NotSupportedException">The loss does not override this method, so it cannot take an output mask.</exception>
    protected internal virtual void ComputePerEntry(Tensor predictions, Tensor targets, Span<float> destination) =>
        throw MaskNeedsPerEntry();

    /// <summary>Writes dLoss/dPredictions of <see cref="Compute"/>'s loss into <paramref name="gradient"/> (same shape as predictions).</summary>
    /// <param name="predictions">The model's outputs, (batch, ...).</param>
    /// <param name="targets">The targets for the batch.</param>
    /// <param name="gradient">Receives the gradient.</param>
    /// <exception cref="InvalidOperationException"><see cref="Reduction"/> is <see cref="LossReduction.None"/>, which gives no single loss.</exception>
    public abstract void Gradient(Tensor predictions, Tensor targets, Tensor gradient);

    /// <summary>
    /// The loss's settings under Keras' names (Keras' <c>get_config</c>): <c>reduction</c> (null for
    /// <see cref="LossReduction.None"/>, as Keras writes <c>None</c>) and the loss's own settings.
    /// </summary>
    public virtual Config GetConfig() => new Config().Set("reduction", LossReductionNames.ToKeras(Reduction));

    /// <summary>
    /// The plain mean over the entries, every entry weighing 1 (an ignored entry counts with the value 0): what the
    /// trainer weights, masks and scales. A built-in loss overrides it; a loss of your own computes it in Compute.
    /// </summary>
    internal virtual float ComputeMean(Tensor predictions, Tensor targets) => Compute(predictions, targets);

    /// <summary>The gradient of <see cref="ComputeMean"/>.</summary>
    internal virtual void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient) => Gradient(predictions, targets, gradient);

    /// <summary>The fused softmax gradient of <see cref="ComputeMean"/> (only for an <see cref="ISoftmaxCrossEntropy"/>).</summary>
    internal virtual void MeanLogitsGradient(Tensor probabilities, Tensor targets, Tensor gradient) =>
        ((ISoftmaxCrossEntropy)this).LogitsGradient(probabilities, targets, gradient);

    /// <summary>
    /// Whether each row's value depends on other rows' predictions (pairs within the batch, as <see cref="Circle"/>), so that
    /// weighting a row's value weighs terms that land in other rows' gradients: the trainer then asks
    /// <see cref="WeightedMeanGradient"/> for weighted or masked batches instead of scaling each row of the plain gradient.
    /// </summary>
    internal virtual bool PairsRows => false;

    /// <summary>The gradient of (1 / rows)·Σ_r weights[r]·value_r (every weight 1 when <paramref name="weights"/> is empty); only for <see cref="PairsRows"/> losses.</summary>
    internal virtual void WeightedMeanGradient(Tensor predictions, Tensor targets, ReadOnlySpan<float> weights, Tensor gradient) =>
        throw new NotSupportedException($"{Name}: the trainer asks a weighted gradient only of a loss whose rows are paired within the batch.");

    /// <summary>Whether the loss itself masks entries out of the reduction (Keras' <c>ignore_class</c>).</summary>
    internal virtual bool MasksEntries => false;

    /// <summary>Sets to 0 the entries of <paramref name="keep"/> (one per row of the output) that the loss ignores; none by default.</summary>
    internal virtual void MaskEntries(Tensor targets, Span<float> keep)
    {
    }

    /// <summary>
    /// Throws when the loss cannot take the mask of an output of rank <paramref name="rank"/> (batch axis included); the
    /// trainer asks before the first batch for outputs sure to carry one, and when a pass reveals one.
    /// </summary>
    /// <exception cref="NotSupportedException">The loss takes no output mask (as set up).</exception>
    /// <remarks>A loss of your own takes a mask when it overrides <see cref="ComputePerEntry"/>, whose values the mask weighs.</remarks>
    internal virtual void CheckTakesMask(int rank)
    {
        if (!IsBuiltIn && !WritesEntries)
        {
            throw MaskNeedsPerEntry();
        }
    }

    /// <summary>
    /// Why the loss cannot weigh its values entry by entry — sample weights of more than one value per sample, (batch,
    /// steps) for a (batch, steps, classes) output of rank <paramref name="rank"/> — or null when it can: every built-in
    /// loss whose values are one per row of the last axis, and a loss of your own that overrides
    /// <see cref="ComputePerEntry"/>. Asked before the first batch.
    /// </summary>
    internal virtual string? RefusesEntryWeights(int rank) => IsBuiltIn || WritesEntries
        ? null
        : $"{GetType().Name} ('{Name}') is a loss of your own without per-entry values: override Loss.ComputePerEntry to write the loss of each entry (each row of the last axis; their mean equal to Compute) so that weights per entry can weigh them, or give one weight per sample";

    /// <summary>
    /// Whether the loss writes per-sample values, a built-in one or one of your own that overrides
    /// <see cref="ComputePerSample"/>, so that sample weights can weigh them. Found once: the weight checks of every
    /// <c>TrainOnBatch</c> ask, and a warm call allocates nothing.
    /// </summary>
    internal bool WritesPerSample => _writesPerSample ??= DeclaresComputePerSample();

    // The reflection only asks where ComputePerSample is declared; the trimmer keeps every override of a method called virtually.
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Reads the declaring type of a virtual method that is always kept.")]
    private bool DeclaresComputePerSample() =>
        GetType().GetMethod(nameof(ComputePerSample), [typeof(Tensor), typeof(Tensor), typeof(Span<float>)])!.DeclaringType != typeof(Loss);

    /// <summary>
    /// Whether this is a loss of your own that overrides <see cref="ComputePerEntry"/>, so it takes an output mask. Found
    /// once: the trainer asks for every masked batch, and a step allocates nothing after the first.
    /// </summary>
    internal bool WritesEntries => _writesEntries ??= !IsBuiltIn && DeclaresComputePerEntry();

    // The reflection only asks where ComputePerEntry is declared; the trimmer keeps every override of a method called virtually.
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Reads the declaring type of a virtual method that is always kept.")]
    private bool DeclaresComputePerEntry() =>
        GetType().GetMethod(nameof(ComputePerEntry), System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic,
            null, [typeof(Tensor), typeof(Tensor), typeof(Span<float>)], null)!.DeclaringType != typeof(Loss);

    private NotSupportedException MaskNeedsPerEntry() => new(
        $"{GetType().Name} ('{Name}') is the loss of an output that carries a mask (from an Embedding(maskZero: true), Masking or another masking layer upstream): the mask weighs the loss of each entry (each row of the last axis), as Keras' mask weighs a loss's unreduced values, so override Loss.ComputePerEntry to write those values (their mean equal to Compute), or remove the mask.");

    /// <summary>
    /// The factor from the (sample-weighted) mean the trainer computes to the loss's reduction, for a batch without a
    /// mask: by default the entries for a sum, samples / Σ w for <c>mean_with_sample_weight</c>, else 1. The overlap
    /// losses, whose values are per sample or for the whole batch, override it.
    /// </summary>
    internal virtual double ReductionScale(Tensor predictions, ReadOnlySpan<float> sampleWeights) =>
        LossReductionNames.Unmasked(Reduction, EntryCount(predictions), sampleWeights);

    /// <summary>
    /// The number of entries (values before the reduction) of this loss on <paramref name="predictions"/>: the rows of the
    /// last axis, <see cref="Entries"/>, unless the loss reduces over another axis (a cross-entropy's <c>axis</c>).
    /// </summary>
    internal virtual int EntryCount(Tensor predictions) => Entries(predictions);

    /// <summary>
    /// Whether one value depends on every sample of the batch (a whole-batch <see cref="Dice"/>): sample weights then
    /// scale the whole gradient by their mean, as they scale the loss, rather than each sample's rows by its own weight.
    /// </summary>
    internal virtual bool CouplesSamples(Tensor predictions) => false;

    /// <summary>The number of entries the loss does not ignore.</summary>
    internal virtual int ValidEntries(Tensor targets, int entries) => entries;

    /// <summary>The number of entries: the rows of the last axis (every element for a rank-1 output).</summary>
    internal static int Entries(Tensor predictions)
    {
        if (predictions.Rank < 2)
        {
            return predictions.Length;
        }

        int entries = 1;
        foreach (int dimension in predictions.Shape.Dimensions[..^1])
        {
            entries *= dimension;
        }

        return entries;
    }

    /// <summary>Throws when <see cref="Reduction"/> is <see cref="LossReduction.None"/>, naming the method asked for a single loss.</summary>
    private protected void ThrowIfUnreduced(string method)
    {
        if (Reduction == LossReduction.None)
        {
            throw new InvalidOperationException(
                $"{Name}.{method}: the loss has reduction None (Keras' \"none\"), which gives one value per sample rather than one loss; use ComputePerSample for the values, or give the loss another reduction.");
        }
    }

    /// <summary>The factor from <see cref="ComputeMean"/> to the reduced loss of an unweighted batch.</summary>
    private protected double ReductionFactor(Tensor predictions, Tensor targets)
    {
        int entries = EntryCount(predictions);
        if (!MasksEntries)
        {
            return ReductionScale(predictions, default);
        }

        int valid = ValidEntries(targets, entries);
        return LossReductionNames.Masked(Reduction, entries, valid, valid);
    }

    /// <summary><see cref="Compute"/> for a built-in loss: <see cref="ComputeMean"/> reduced as <see cref="Reduction"/> says.</summary>
    private protected float ComputeReduced(Tensor predictions, Tensor targets)
    {
        ThrowIfUnreduced(nameof(Compute));
        targets = OnePerSampleAsColumn(predictions, targets);
        float mean = ComputeMean(predictions, targets);
        double factor = ReductionFactor(predictions, targets);
        return factor == 1 ? mean : (float)(mean * factor);
    }

    /// <summary><see cref="Gradient"/> for a built-in loss: <see cref="MeanGradient"/> scaled to the reduction.</summary>
    private protected void GradientReduced(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ThrowIfUnreduced(nameof(Gradient));
        targets = OnePerSampleAsColumn(predictions, targets);
        MeanGradient(predictions, targets, gradient);
        ScaleToReduction(predictions, targets, gradient);
    }

    /// <summary>
    /// Whether targets are shaped as the output, so that one value per sample, (n), stands for a one-unit output's
    /// (n, 1), as <c>Fit</c> accepts it and Keras' <c>squeeze_or_expand_to_same_rank</c> does; false where targets are
    /// class indices or labels of another shape (sparse cross-entropy, CTC, Circle).
    /// </summary>
    private protected virtual bool TargetsShapedAsOutput => true;

    /// <summary>Targets (n) for predictions (n, 1) as a (n, 1) view, for a loss whose targets are shaped as the output.</summary>
    private protected Tensor OnePerSampleAsColumn(Tensor predictions, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        return TargetsShapedAsOutput && targets.Rank == 1 && predictions.Rank == 2 && predictions.Shape[1] == 1 && targets.Shape[0] == predictions.Shape[0]
            ? targets.Reshape(targets.Shape[0], 1)
            : targets;
    }

    /// <summary>Scales a gradient of <see cref="ComputeMean"/> into one of the reduced loss.</summary>
    private protected void ScaleToReduction(Tensor predictions, Tensor targets, Tensor gradient)
    {
        double factor = ReductionFactor(predictions, targets);
        if (factor != 1)
        {
            gradient.Scale((float)factor);
        }
    }
}
