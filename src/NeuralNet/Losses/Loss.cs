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

    /// <summary>The mean loss over the batch.</summary>
    /// <param name="predictions">The model's outputs, (batch, ...).</param>
    /// <param name="targets">The targets for the batch.</param>
    public abstract float Compute(Tensor predictions, Tensor targets);

    /// <summary>Writes dLoss/dPredictions of the batch-mean loss into <paramref name="gradient"/> (same shape as predictions).</summary>
    public abstract void Gradient(Tensor predictions, Tensor targets, Tensor gradient);

    /// <summary>The loss's settings under Keras' names (Keras' <c>get_config</c>); empty for one without settings.</summary>
    public virtual Config GetConfig() => new();
}
