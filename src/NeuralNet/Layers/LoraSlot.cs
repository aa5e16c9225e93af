using NeuralNet.Constraints;
using NeuralNet.Initializers;

namespace NeuralNet.Layers;

/// <summary>
/// The LoRA state of one <see cref="ILoraLayer"/>: Keras' <c>lora_rank</c> and <c>lora_alpha</c> given before the build, and
/// the <see cref="LowRankAdaptation"/> once enabled. The layers' LoRA members delegate to it in one line each.
/// </summary>
/// <remarks>
/// The copies a layer makes to run its other calls are member-wise clones of it, so they hold this same slot: a copy made
/// before LoRA was enabled adapts too. Only the layer itself (<see cref="Layer.Primary"/>) enables LoRA and owns A and B.
/// </remarks>
/// <param name="layerType">The layer's type name, for the messages of checks made before it has a name.</param>
/// <param name="weightName">Keras' attribute of the adapted weight (<c>kernel</c>, <c>embeddings</c>); A and B are named after it.</param>
internal sealed class LoraSlot(string layerType, string weightName)
{
    private int? _rank;
    private float? _alpha;

    /// <summary>The adaptation; null until LoRA is enabled.</summary>
    public LowRankAdaptation? Adaptation { get; private set; }

    /// <summary>Keras' <c>lora_rank</c>: the enabled one, else the one the build enables (checked when set).</summary>
    public int? Rank
    {
        get => Adaptation?.Rank ?? _rank;
        set => _rank = LoraSettings.CheckRank(value, layerType);
    }

    /// <summary>Keras' <c>lora_alpha</c>: the enabled one, else the one the build uses (the rank when not set); null without a rank.</summary>
    public float? Alpha
    {
        get => Adaptation?.Alpha ?? (_rank is null ? null : _alpha ?? _rank);
        set => _alpha = LoraSettings.CheckAlpha(value, layerType);
    }

    /// <summary>Whether LoRA is enabled.</summary>
    public bool Enabled => Adaptation is not null;

    /// <summary>A, or null.</summary>
    public Parameter? A => Adaptation?.A;

    /// <summary>B, or null.</summary>
    public Parameter? B => Adaptation?.B;

    /// <summary>
    /// Keras' build: <c>enable_lora(lora_rank)</c> once <paramref name="weight"/> exists. Called at the end of the layer's
    /// <c>OnBuild</c>; a copy for another call uses the layer's slot as it is.
    /// </summary>
    public void OnBuild(Layer layer, Parameter weight)
    {
        if (ReferenceEquals(layer.Primary, layer))
        {
            // A build that runs again after a failed model build starts from the configured rank, as the first one did.
            Adaptation = _rank is int rank ? LowRankAdaptation.Create(layer, weight, weight.Constraint, enabled: false, Names, rank, _alpha, null, null) : null;
        }
    }

    /// <summary>Keras' <c>enable_lora</c> (see <see cref="ILoraLayer.EnableLora"/>): checks, adds A and B to the layer, freezes the weight.</summary>
    /// <param name="layer">The layer.</param>
    /// <param name="weight">Its weight field (null, or not yet filled, while the layer is not built).</param>
    /// <param name="constraint">The weight's constraint as configured (Keras' <c>kernel_constraint</c>), or null: refused first, as Keras does.</param>
    /// <param name="rank">Keras' <c>rank</c>.</param>
    /// <param name="alpha">Keras' <c>lora_alpha</c>; null for the rank.</param>
    /// <param name="aInitializer">A's initializer; null for he_uniform.</param>
    /// <param name="bInitializer">B's initializer; null for zeros.</param>
    public void Enable(Layer layer, Parameter? weight, Constraint? constraint, int rank, double? alpha, Initializer? aInitializer, Initializer? bInitializer)
    {
        Layer primary = layer.Primary;
        Adaptation = LowRankAdaptation.Create(primary, primary.IsBuilt ? weight : null, constraint, Enabled, Names, rank, alpha, aInitializer, bInitializer);
        primary.OnParametersAdded(2);
    }

    /// <summary>
    /// Refuses a backward pass whose forward pass ran before LoRA was enabled (<paramref name="forwardState"/>, what the
    /// layer's forward pass keeps for LoRA, is still null): it computed nothing of A and B to differentiate. Called with
    /// <c>CheckForwardRan</c>, before anything changes.
    /// </summary>
    /// <param name="layer">The layer, or its copy for another call, running the backward pass.</param>
    /// <param name="forwardState">The layer's LoRA state of its forward passes (its low-rank pass, or merged kernel).</param>
    /// <param name="outputGradient">The gradient the backward pass got, for the message.</param>
    public void CheckForwardRan(Layer layer, object? forwardState, Tensor outputGradient)
    {
        if (Enabled && forwardState is null)
        {
            throw new InvalidOperationException(
                $"{layer.Description} got an output gradient {outputGradient.Shape} that does not follow a forward pass with LoRA: LoRA was enabled after the last forward pass. Run the forward pass again before the backward pass.");
        }
    }

    /// <summary>A new tensor holding the effective weight, or a copy of <paramref name="weight"/> without LoRA.</summary>
    public Tensor MergedWeight(Parameter weight) => Adaptation?.Merged() ?? weight.Value.Clone();

    private (string Weight, string A, string B) Names => (weightName, $"lora_{weightName}_a", $"lora_{weightName}_b");
}
