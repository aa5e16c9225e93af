using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// A training objective: the mean over the batch of a per-sample loss, and its gradient.
/// </summary>
public abstract class Loss
{
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

    /// <summary>The mean loss over the batch.</summary>
    /// <param name="predictions">The model's outputs, (batch, ...).</param>
    /// <param name="targets">The targets for the batch.</param>
    public abstract float Compute(Tensor predictions, Tensor targets);

    /// <summary>
    /// Writes the loss of each sample (each row of the first axis) into <paramref name="destination"/>: Keras' per-sample
    /// values before its <c>sum_over_batch_size</c> reduction, averaged over a sample's steps when it has several rows,
    /// so that their mean is <see cref="Compute"/>'s result (up to float rounding). Weighting them per sample gives
    /// Keras' sample-weighted loss: <c>sum(w[s] * destination[s]) / batch</c>. Allocates nothing.
    /// </summary>
    /// <param name="predictions">The model's outputs, (batch, ...).</param>
    /// <param name="targets">The targets for the batch, as for <see cref="Compute"/>.</param>
    /// <param name="destination">Receives one value per sample; its length must be the batch size.</param>
    /// <exception cref="ArgumentException">The shapes do not fit, or <paramref name="destination"/> is not one value per sample.</exception>
    /// <exception cref="NotSupportedException">
    /// The loss does not override this method: every built-in loss does; a loss of your own must override it to be
    /// used with per-sample weights.
    /// </exception>
    public virtual void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination) =>
        throw new NotSupportedException(
            $"{GetType().Name} ('{Name}') does not compute per-sample losses: override Loss.ComputePerSample to write one value per sample (their mean equal to Compute) before using it with sample weights.");

    /// <summary>Writes dLoss/dPredictions of the batch-mean loss into <paramref name="gradient"/> (same shape as predictions).</summary>
    public abstract void Gradient(Tensor predictions, Tensor targets, Tensor gradient);

    /// <summary>The loss's settings under Keras' names (Keras' <c>get_config</c>); empty for one without settings.</summary>
    public virtual Config GetConfig() => new();
}
