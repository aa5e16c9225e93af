namespace NeuralNet.Losses;

/// <summary>
/// A cross-entropy loss that can hand the model the fused gradient with respect to the logits of a final softmax,
/// <c>(p * sum(t) - t) / rows</c> (for one-hot targets <c>(p - t) / batch</c>), which stays accurate where the
/// unfused path (<c>-t / p</c> through the softmax derivative) loses precision or divides by a clipped probability.
/// </summary>
/// <remarks>
/// Use it only when <see cref="FromLogits"/> is false and the last layer ends with softmax
/// (<c>Layer.EndsWithSoftmax</c>); then call <c>Layer.BackwardFromLogitsGradient</c> with the result instead of
/// <c>Layer.Backward</c> with <see cref="Loss.Gradient"/>.
/// </remarks>
public interface ISoftmaxCrossEntropy
{
    /// <summary>Whether the loss takes logits; the fused path applies only when this is false.</summary>
    bool FromLogits { get; }

    /// <summary>Writes dLoss/dLogits into <paramref name="gradient"/>, given the softmax outputs.</summary>
    /// <param name="probabilities">The softmax outputs, (batch, ..., classes).</param>
    /// <param name="targets">The targets, as for <see cref="Loss.Compute"/>.</param>
    /// <param name="gradient">Receives the gradient, same shape as <paramref name="probabilities"/>.</param>
    void LogitsGradient(Tensor probabilities, Tensor targets, Tensor gradient);
}
