using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// A quantity tracked during training and evaluation, accumulated over batches (Keras metrics are stateful the same way).
/// </summary>
/// <remarks>
/// The model calls <see cref="Reset"/> at the start of each epoch (and of each evaluation), <see cref="Update"/> after
/// every batch, and reads <see cref="Result"/> for the logs under <see cref="Name"/> (validation results get the
/// prefix <c>val_</c>). <see cref="Update"/> must not allocate: it runs once per training step.
/// </remarks>
public abstract class Metric
{
    /// <summary>The key in logs and history, as Keras names it (<c>accuracy</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Forgets everything accumulated.</summary>
    public abstract void Reset();

    /// <summary>Accumulates one batch.</summary>
    /// <param name="predictions">The model's outputs for the batch, (batch, ...).</param>
    /// <param name="targets">The targets for the batch, as given to the loss.</param>
    public abstract void Update(Tensor predictions, Tensor targets);

    /// <summary>The value over everything accumulated since the last <see cref="Reset"/> (0 when nothing was).</summary>
    public abstract double Result();

    /// <summary>
    /// Checks, before any training, that targets of per-sample shape <paramref name="targetShape"/> fit outputs of
    /// per-sample shape <paramref name="outputShape"/>; throws <see cref="ArgumentException"/> naming both otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit this metric.</exception>
    public virtual void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
    }

    /// <summary>
    /// The metric's settings under Keras' names (Keras' <c>get_config</c>); empty for one without settings. A built-in
    /// metric with its default settings is saved as its <see cref="Name"/> (<c>"accuracy"</c>).
    /// </summary>
    public virtual Config GetConfig() => new();

    /// <inheritdoc/>
    public override string ToString() => Name;
}
