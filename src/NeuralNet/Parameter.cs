using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;

namespace NeuralNet;

/// <summary>
/// A tensor a layer learns (or tracks), with the gradient that backward passes accumulate into it.
/// </summary>
/// <remarks>
/// Layers create their parameters when they are built. Backward passes add to <see cref="Gradient"/>;
/// an optimizer step reads it and clears it. The clearing is deferred: the step only marks the gradient as zero,
/// and its storage is cleared when <see cref="Gradient"/> is next read, or simply overwritten by the next backward
/// pass, which saves a pass over large kernels. Read the gradient through <see cref="Gradient"/> after each step
/// rather than through a <see cref="Tensor"/> reference kept from before it. Non-trainable parameters (BatchNormalization's moving
/// statistics) are updated by their layer, never by an optimizer. A parameter of a frozen layer
/// (<see cref="Layers.Layer.Trainable"/> false) is not trainable either, until the layer is unfrozen.
/// </remarks>
public sealed class Parameter
{
    private readonly Tensor _gradient;

    // Set by an optimizer step instead of clearing: the gradient is zero in meaning but its storage still holds the
    // last step's values, to be cleared on the next read or overwritten by the next backward product.
    private bool _gradientDiscarded;

    internal Parameter(string name, TensorShape shape, bool trainable, Regularizer? regularizer, Initializer? pendingInitializer = null)
    {
        Name = name;
        Value = new Tensor(shape);
        _gradient = new Tensor(shape);
        IsTrainableKind = trainable;
        CreatedTrainable = trainable;
        Regularizer = regularizer;
        PendingInitializer = pendingInitializer;
    }

    /// <summary>The parameter's name within its layer, such as <c>kernel</c> or <c>bias</c>.</summary>
    public string Name { get; }

    /// <summary>The current value.</summary>
    public Tensor Value { get; }

    /// <summary>
    /// The accumulated gradient of the loss with respect to <see cref="Value"/>. While the parameter is not
    /// <see cref="Trainable"/> (its layer frozen), layers need not compute it: Dense and the convolutions leave it as it is.
    /// </summary>
    public Tensor Gradient
    {
        get
        {
            if (_gradientDiscarded)
            {
                _gradient.AsSpan().Clear();
                _gradientDiscarded = false;
            }

            return _gradient;
        }
    }

    /// <summary>
    /// Whether optimizers update this parameter: it was created trainable (a weight, not a statistic its layer tracks) and
    /// its layer is not frozen (<see cref="Layers.Layer.Trainable"/>). Keras' <c>variable.trainable</c>.
    /// </summary>
    public bool Trainable => IsTrainableKind && !Frozen;

    /// <summary>The weight penalty applied to this parameter, if any.</summary>
    public Regularizer? Regularizer { get; }

    /// <summary>
    /// The projection the optimizer applies to <see cref="Value"/> after each step (Keras' <c>variable.constraint</c>), if
    /// any: set by the layer that creates the parameter, from its <c>kernelConstraint</c>-style arguments.
    /// </summary>
    public Constraint? Constraint { get; internal set; }

    /// <summary>The shape of <see cref="Value"/>.</summary>
    public TensorShape Shape => Value.Shape;

    /// <summary>Sets the gradient to zero.</summary>
    public void ZeroGradient()
    {
        _gradient.AsSpan().Clear();
        _gradientDiscarded = false;
    }

    // The initializer still to run: a layer called on symbolic tensors creates its parameters before the model that
    // seeds them exists, so they are filled when the model is created or at the layer's first forward pass.
    internal Initializer? PendingInitializer { get; set; }

    // Whether the parameter was created trainable: a weight, as opposed to a statistic its layer updates itself. Turned
    // off when LoRA freezes the weight it adapts, which unfreezing the layer must not undo.
    internal bool IsTrainableKind { get; set; }

    // Whether it was created trainable, whatever LoRA or freezing did since: the list Keras tracks a variable in
    // (_trainable_variables or _non_trainable_variables) is chosen when it is created and kept (Layer.KerasWeightOrder).
    internal bool CreatedTrainable { get; }

    // Set while the layer that owns the parameter is frozen (Layer.Trainable false).
    internal bool Frozen { get; set; }

    // The optimizer's deferred clear (see the remarks).
    internal void DiscardGradient() => _gradientDiscarded = true;

    // For a backward pass that adds one product over the whole gradient: the storage, and the GEMM beta to use:
    // 0 (overwrite, no clearing pass and no read) while the gradient is discarded, otherwise 1 (accumulate).
    internal Span<float> GradientForProduct(out float beta)
    {
        beta = _gradientDiscarded ? 0f : 1f;
        _gradientDiscarded = false;
        return _gradient.AsSpan();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Shape}";
}
