using NeuralNet.Serialization;

namespace NeuralNet.Constraints;

/// <summary>
/// A projection applied to a parameter after every optimizer step (Keras' <c>keras.constraints.Constraint</c>): the
/// optimizer updates the weights, then replaces them with the constraint's projection of them (kept non-negative,
/// clipped to a norm, ...). Given to a layer as <c>kernelConstraint</c>, <c>biasConstraint</c> and the like.
/// </summary>
/// <remarks>
/// Keras 3's order: within one <see cref="Optimizers.Optimizer.Step"/>, every trainable parameter is updated (and its
/// moving average, with <c>UseEma</c>) first, then the constraints run. A step that only accumulates gradients
/// (<c>GradientAccumulationSteps</c>) applies them too, as Keras does. A constraint of your own overrides
/// <see cref="Apply"/>; it should allocate nothing, since it runs at every step.
/// </remarks>
public abstract class Constraint
{
    /// <summary>The identifier Keras saves it under, such as <c>max_norm</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Replaces <paramref name="weights"/>, in place, with their projection.</summary>
    /// <param name="weights">A parameter's value.</param>
    public abstract void Apply(Tensor weights);

    /// <summary>
    /// Checks, when a layer creates a parameter with this constraint, that the constraint fits the parameter's shape (a
    /// norm's axes exist); throws a message naming both. Does nothing unless a constraint overrides it.
    /// </summary>
    /// <param name="shape">The parameter's shape.</param>
    /// <exception cref="ArgumentException">The constraint cannot apply to a parameter of that shape.</exception>
    public virtual void ValidateShape(TensorShape shape)
    {
    }

    /// <summary>The constraint's settings under Keras' names (Keras' <c>get_config</c>).</summary>
    public virtual Config GetConfig() => new();
}
