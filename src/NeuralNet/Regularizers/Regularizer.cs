using NeuralNet.Serialization;

namespace NeuralNet.Regularizers;

/// <summary>
/// A weight penalty attached to a parameter (Keras semantics): its value is added to the reported
/// loss and its gradient is added to the parameter's gradient in the backward pass.
/// </summary>
public abstract class Regularizer
{
    /// <summary>The identifier used in saved model configurations, such as <c>l2</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The penalty for <paramref name="weights"/>, such as <c>l2 * sum(w^2)</c>.</summary>
    public abstract float Penalty(ReadOnlySpan<float> weights);

    /// <summary>Adds the gradient of <see cref="Penalty"/> with respect to <paramref name="weights"/> into <paramref name="gradient"/>.</summary>
    public abstract void AddGradient(ReadOnlySpan<float> weights, Span<float> gradient);

    /// <summary>The penalty's factors under Keras' names (Keras' <c>get_config</c>).</summary>
    public virtual Config GetConfig() => new();
}
