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
    /// Whether optimizers update this parameter (Keras' <c>variable.trainable</c>, which has a setter too): it was created
    /// trainable (a weight, not a statistic its layer tracks), its layer is not frozen (<see cref="Layers.Layer.Trainable"/>)
    /// and it was not frozen on its own. Setting it to false freezes this one weight: no optimizer step changes it (no weight
    /// decay, no momentum or other slot moves, no moving average), its weight penalty leaves the loss, it counts as
    /// non-trainable in <c>Summary</c>, and layers need not compute its gradient. The model's next forward pass plans its
    /// backward pass again, as for a layer's flag; no <c>Compile</c> is needed.
    /// </summary>
    /// <remarks>
    /// As in Keras, the layer's flag overrides it: setting <see cref="Layers.Layer.Trainable"/> (or the model's) to true or
    /// false sets every weight of the layer to that value (Keras' setter sets <c>v.trainable</c> for each of the layer's
    /// trainable variables). Like Keras, the file formats do not save it (a weights file holds values; a layer's
    /// configuration holds the layer's <c>trainable</c> only), so freeze the weight again after loading. Set it between
    /// steps, not while another thread trains the model.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Set to true on a statistic the layer updates itself (BatchNormalization's
    /// moving mean, say) or on a weight LoRA froze, which no optimizer may train; or on a weight of a frozen layer, which
    /// only the layer's flag unfreezes.</exception>
    public bool Trainable
    {
        get => IsTrainableKind && !Frozen;
        set
        {
            if (value == Trainable)
            {
                return;
            }

            if (value && !IsTrainableKind)
            {
                throw new InvalidOperationException($"Parameter '{Name}' {Shape}{OwnerText} is not a trained weight (a statistic its layer updates itself, or a weight LoRA froze): it cannot be made trainable.");
            }

            if (value && Owner is { Trainable: false } owner)
            {
                throw new InvalidOperationException($"Parameter '{Name}' {Shape} belongs to {owner}, which is frozen (Trainable = false): set the layer's Trainable to true, which makes all its weights trainable (as Keras' layer.trainable setter does), then freeze the ones to keep.");
            }

            Frozen = !value;
            Owner?.NoteTrainabilityChanged();
        }
    }

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

    // Set while the layer that owns the parameter is frozen (Layer.Trainable false), or by Trainable's setter for this
    // parameter alone; the layer's flag sets it for all of its parameters, as Keras' layer setter sets each variable's.
    internal bool Frozen { get; set; }

    // The layer whose parameter this is (a wrapper's, for the layer it wraps), told when Trainable changes so the models
    // that run it plan their backward pass again; null for a parameter no layer created.
    internal Layers.Layer? Owner { get; set; }

    private string OwnerText => Owner is null ? string.Empty : $" of {Owner}";

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
