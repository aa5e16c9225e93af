using NeuralNet.Regularizers;

namespace NeuralNet;

/// <summary>
/// A tensor a layer learns (or tracks), with the gradient that backward passes accumulate into it.
/// </summary>
/// <remarks>
/// Layers create their parameters when they are built. Backward passes add to <see cref="Gradient"/>;
/// an optimizer step reads it and clears it. Non-trainable parameters (BatchNormalization's moving
/// statistics) are updated by their layer, never by an optimizer.
/// </remarks>
public sealed class Parameter
{
    internal Parameter(string name, TensorShape shape, bool trainable, Regularizer? regularizer)
    {
        Name = name;
        Value = new Tensor(shape);
        Gradient = new Tensor(shape);
        Trainable = trainable;
        Regularizer = regularizer;
    }

    /// <summary>The parameter's name within its layer, such as <c>kernel</c> or <c>bias</c>.</summary>
    public string Name { get; }

    /// <summary>The current value.</summary>
    public Tensor Value { get; }

    /// <summary>The accumulated gradient of the loss with respect to <see cref="Value"/>.</summary>
    public Tensor Gradient { get; }

    /// <summary>Whether optimizers update this parameter.</summary>
    public bool Trainable { get; }

    /// <summary>The weight penalty applied to this parameter, if any.</summary>
    public Regularizer? Regularizer { get; }

    /// <summary>The shape of <see cref="Value"/>.</summary>
    public TensorShape Shape => Value.Shape;

    /// <summary>Sets the gradient to zero.</summary>
    public void ZeroGradient() => Gradient.AsSpan().Clear();

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Shape}";
}
