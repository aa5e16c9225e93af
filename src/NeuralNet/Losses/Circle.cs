using System.Buffers;
using System.Globalization;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// Keras' <c>Circle</c> loss (Keras 3.5+; Sun et al., 2020), a metric-learning loss on embeddings: for each anchor of
/// the batch, its positives (same label) are pulled together and its negatives pushed apart in cosine similarity, each
/// pair weighted by how far it is from its optimum (keras/src/losses/losses.py <c>circle</c>; see
/// <c>Kernels/CirclePairs</c> for the formula).
/// </summary>
/// <remarks>
/// <para>Shapes: predictions (batch, dim), the embeddings; targets (batch) or (batch, 1), integer labels stored as floats.
/// As in Keras the embeddings are used as given: the model should end with an L2 normalisation (Keras' example puts
/// <c>UnitNormalization</c> after a linear <c>Dense</c>), since the similarities are plain dot products.</para>
/// <para>Every anchor's loss depends on the whole batch, and so does every embedding's gradient. An anchor with no
/// positive (a label alone in the batch) or no negative has loss 0 and, as Keras' mask <c>circle_loss &gt; 0</c> says,
/// is left out of the means: <see cref="LossReduction.SumOverBatchSize"/> divides by the anchors kept,
/// <see cref="LossReduction.MeanWithSampleWeight"/> by their weights. (Keras' mask also drops a row whose softplus
/// underflows to 0 in float32, which takes gamma · margin² of about 50 or more (gamma above about 300 at the default margin); here the mask follows the labels alone.) Sample
/// weights weigh each anchor's loss, and so every term of it, in whichever embedding's gradient it lands.</para>
/// </remarks>
public sealed class Circle : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="gamma">The scale of the similarities, positive and finite (Keras default 80).</param>
    /// <param name="margin">The relaxation margin m, finite (Keras default 0.4): with d = max(1 − s, 0) the cosine distance, a
    /// positive is weighted by max(m + d, 0) and aims below distance m, a negative by max(1 + m − d, 0) and aims beyond 1 − m.</param>
    /// <param name="removeDiagonal">Whether an anchor is not its own positive (Keras default true).</param>
    /// <param name="reduction">How the anchors' values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean over the anchors kept, by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is not positive and finite, or <paramref name="margin"/> is not finite.</exception>
    public Circle(double gamma = 80.0, double margin = 0.4, bool removeDiagonal = true, LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
        if (!(gamma > 0) || double.IsInfinity(gamma))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, $"Circle expects a positive, finite gamma but got gamma={gamma}.");
        }

        if (!double.IsFinite(margin))
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, $"Circle expects a finite margin but got margin={margin}.");
        }

        Gamma = gamma;
        Margin = margin;
        RemoveDiagonal = removeDiagonal;
    }

    /// <summary>The scale of the similarities (Keras' <c>gamma</c>).</summary>
    public double Gamma { get; }

    /// <summary>The relaxation margin (Keras' <c>margin</c>).</summary>
    public double Margin { get; }

    /// <summary>Whether an anchor is not its own positive (Keras' <c>remove_diagonal</c>).</summary>
    public bool RemoveDiagonal { get; }

    /// <inheritdoc/>
    public override string Name => "circle";

    /// <inheritdoc/>
    private protected override bool TargetsShapedAsOutput => false;

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The output is not one embedding per sample, or the targets are not one label per sample.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        if (outputShape.Rank == 1 && outputShape[0] == 1)
        {
            // The trainer hands a masked loss its rows flattened, which drops a last axis of 1; a one-dimensional embedding
            // also makes every cosine similarity ±1, so nothing is lost by refusing it.
            throw new ArgumentException(
                $"{Name}: output {outputShape.ToBatchString()} has one-dimensional embeddings; Circle compares embeddings by cosine similarity, so give them at least 2 dimensions.",
                nameof(outputShape));
        }

        if (outputShape.Rank != 1 || !(targetShape.Rank == 0 || (targetShape.Rank == 1 && targetShape[0] == 1)))
        {
            throw new ArgumentException(
                $"{Name}: output {outputShape.ToBatchString()} and targets {targetShape.ToBatchString()} do not fit; expected embeddings (None, dim) and one integer label per sample, targets (None,) or (None, 1).",
                nameof(targetShape));
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A label is not a whole number (the message names the sample).</exception>
    public override void ValidateTargets(Tensor targets, TensorShape outputShape)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        for (int i = 0; i < t.Length; i++)
        {
            _ = Label(t[i], i);
        }
    }

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets)
    {
        (int n, int dim) = Check(predictions, targets, null, default);
        if (n == 0)
        {
            return float.NaN; // Keras' mean over no values
        }

        (double[] similarity, int[] labels) = Rent(predictions, targets, n, dim);
        try
        {
            double total = 0;
            for (int i = 0; i < n; i++)
            {
                total += CirclePairs.RowLoss(similarity, labels.AsSpan(0, n), i, Gamma, Margin, RemoveDiagonal, out _);
            }

            return (float)(total / n);
        }
        finally
        {
            Return(similarity, labels);
        }
    }

    /// <inheritdoc/>
    /// <remarks>An anchor without a positive or a negative gets 0, as Keras' unreduced values.</remarks>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination)
    {
        (int n, int dim) = Check(predictions, targets, null, default);
        if (destination.Length != n)
        {
            throw new ArgumentException(
                $"{Name}: destination holds {destination.Length} values but the batch {predictions.Shape} has {n} samples; pass one value per sample.", nameof(destination));
        }

        (double[] similarity, int[] labels) = Rent(predictions, targets, n, dim);
        try
        {
            for (int i = 0; i < n; i++)
            {
                destination[i] = (float)CirclePairs.RowLoss(similarity, labels.AsSpan(0, n), i, Gamma, Margin, RemoveDiagonal, out _);
            }
        }
        finally
        {
            Return(similarity, labels);
        }
    }

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient) => WeightedMeanGradient(predictions, targets, default, gradient);

    /// <inheritdoc/>
    internal override bool PairsRows => true;

    /// <inheritdoc/>
    internal override void WeightedMeanGradient(Tensor predictions, Tensor targets, ReadOnlySpan<float> weights, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        (int n, int dim) = Check(predictions, targets, gradient, weights);
        (double[] similarity, int[] labels) = Rent(predictions, targets, n, dim);
        double[] scale = ArrayPool<double>.Shared.Rent(Math.Max(n, 1));
        try
        {
            for (int i = 0; i < n; i++)
            {
                scale[i] = (weights.IsEmpty ? 1.0 : weights[i]) / n;
            }

            CirclePairs.Backward(predictions.AsReadOnlySpan(), labels.AsSpan(0, n), dim, Gamma, Margin, RemoveDiagonal, scale.AsSpan(0, n), similarity, gradient.AsSpan());
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scale);
            Return(similarity, labels);
        }
    }

    /// <inheritdoc/>
    internal override bool MasksEntries => true;

    /// <inheritdoc/>
    internal override void MaskEntries(Tensor targets, Span<float> keep)
    {
        int[] labels = RentLabels(targets);
        try
        {
            for (int i = 0; i < targets.Length; i++)
            {
                if (!CirclePairs.HasPairs(labels.AsSpan(0, targets.Length), i, RemoveDiagonal))
                {
                    keep[i] = 0f;
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(labels);
        }
    }

    /// <inheritdoc/>
    internal override int ValidEntries(Tensor targets, int entries)
    {
        int[] labels = RentLabels(targets);
        try
        {
            int valid = 0;
            for (int i = 0; i < targets.Length; i++)
            {
                valid += CirclePairs.HasPairs(labels.AsSpan(0, targets.Length), i, RemoveDiagonal) ? 1 : 0;
            }

            return valid;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(labels);
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("gamma", Gamma).Set("margin", Margin).Set("remove_diagonal", RemoveDiagonal);

    // The batch's labels and its (n, n) similarities in pooled scratch: nothing is allocated once the pool holds buffers
    // of the batch's size. The caller returns them with Return.
    private (double[] Similarity, int[] Labels) Rent(Tensor predictions, Tensor targets, int n, int dim)
    {
        int[] labels = RentLabels(targets);
        double[] similarity = ArrayPool<double>.Shared.Rent(Math.Max(n * n, 1));
        CirclePairs.Similarities(predictions.AsReadOnlySpan(), n, dim, similarity);
        return (similarity, labels);
    }

    private static void Return(double[] similarity, int[] labels)
    {
        ArrayPool<double>.Shared.Return(similarity);
        ArrayPool<int>.Shared.Return(labels);
    }

    // Checks every label before renting, so that a bad label throws without holding a pooled buffer.
    private int[] RentLabels(Tensor targets)
    {
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        for (int i = 0; i < t.Length; i++)
        {
            _ = Label(t[i], i);
        }

        int[] labels = ArrayPool<int>.Shared.Rent(Math.Max(t.Length, 1));
        for (int i = 0; i < t.Length; i++)
        {
            labels[i] = (int)t[i];
        }

        return labels;
    }

    private int Label(float value, int sample) =>
        float.IsFinite(value) && value == MathF.Floor(value) && value >= int.MinValue && value <= int.MaxValue
            ? (int)value
            : throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{Name}: target {value} of sample {sample} is not an integer label; Circle takes one integer class label per sample."), "targets");

    private (int Samples, int Dim) Check(Tensor predictions, Tensor targets, Tensor? gradient, ReadOnlySpan<float> weights)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        if (predictions.Rank != 2 || targets.Length != predictions.Shape[0] || targets.Rank > 2 || (targets.Rank == 2 && targets.Shape[1] != 1))
        {
            throw new ArgumentException(
                $"{Name}: output {predictions.Shape} and targets {targets.Shape} do not fit; expected embeddings (batch, dim) and one integer label per sample, (batch) or (batch, 1).", nameof(targets));
        }

        LossChecks.CheckGradient(Name, predictions, gradient);
        int n = predictions.Shape[0];
        if (!weights.IsEmpty && weights.Length != n)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{Name}: {weights.Length} weights for a batch of {n}; expected one per sample."), nameof(weights));
        }

        return (n, predictions.Shape[1]);
    }
}
