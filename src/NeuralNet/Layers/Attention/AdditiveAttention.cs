using NeuralNet.Initializers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Additive attention, a.k.a. Bahdanau-style attention (Keras' <c>AdditiveAttention</c>): like <see cref="Attention"/>,
/// with the scores <c>s[t, s] = Σ_d scale_d · tanh(q[t, d] + k[s, d])</c>.
/// </summary>
/// <remarks>
/// <para>Inputs, masks, causal mask, dropout and output are those of <see cref="Attention"/>: query (batch, Tq, dim),
/// value (batch, Tv, valueDim), optional key (batch, Tv, dim), optional query and value masks (else the masks that
/// arrive with the query and the value); output (batch, Tq, valueDim), carrying the query mask.</para>
/// <para>Weight: <c>scale</c> (dim), Glorot-uniform initialized as in Keras, when <see cref="UseScale"/> (the default);
/// without it every scale is 1.</para>
/// </remarks>
public sealed class AdditiveAttention : MultiInputLayer, IRandomLayer
{
    private Parameter? _scale;
    private ScoreAttention? _core;
    private SeededRandom? _random;

    /// <summary>Creates an additive attention layer.</summary>
    /// <param name="useScale">Whether the layer has the trainable vector <c>scale</c> (dim).</param>
    /// <param name="dropout">The dropout rate of the attention weights during training, in [0, 1).</param>
    /// <param name="useCausalMask">Whether query step t attends only to key steps s &lt;= t (Keras' call argument <c>use_causal_mask</c>).</param>
    /// <param name="useMasks">Whether the layer takes the query and value masks as its last two inputs (Keras' call argument <c>mask</c>).</param>
    /// <param name="returnAttentionScores">Whether the layer has a second output, the attention weights (batch, Tq, Tv) (Keras' call
    /// argument <c>return_attention_scores</c>); see <see cref="ReturnAttentionScores"/>.</param>
    /// <param name="seed">The seed of the dropout masks; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>additive_attention</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The dropout rate is outside [0, 1).</exception>
    public AdditiveAttention(bool useScale = true, double dropout = 0.0, bool useCausalMask = false, bool useMasks = false, bool returnAttentionScores = false,
        long? seed = null, string? name = null)
        : base(name)
    {
        if (!(dropout >= 0.0 && dropout < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"AdditiveAttention expects a dropout rate in [0, 1) but got dropout={dropout}.");
        }

        UseScale = useScale;
        Dropout = dropout;
        UseCausalMask = useCausalMask;
        UseMasks = useMasks;
        ReturnAttentionScores = returnAttentionScores;
        DropoutSeed = seed;
    }

    /// <summary>Whether the layer has the trainable vector <c>scale</c>.</summary>
    public bool UseScale { get; }

    /// <summary>The dropout rate of the attention weights during training.</summary>
    public double Dropout { get; }

    /// <summary>Whether query step t attends only to key steps s &lt;= t.</summary>
    public bool UseCausalMask { get; }

    /// <summary>Whether the last two inputs are the query mask and the value mask.</summary>
    public bool UseMasks { get; }

    /// <inheritdoc cref="Attention.ReturnAttentionScores"/>
    public bool ReturnAttentionScores { get; }

    /// <summary>The seed given to the constructor, or null when the dropout masks derive from the model's seed.</summary>
    public long? DropoutSeed { get; }

    /// <summary>The vector <c>scale</c> (dim); null without <see cref="UseScale"/> or before the layer is built.</summary>
    public Parameter? Scale => _scale;

    /// <summary>
    /// The attention weights of the last forward pass (after the masks, the softmax and, in training, dropout), (batch,
    /// Tq, Tv): owned by the layer and overwritten by its next forward pass.
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer has not run forward yet.</exception>
    public Tensor LastAttentionScores => _core?.LastWeights ?? throw new InvalidOperationException($"{Describe()} has no attention scores before its first forward pass.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "additive_attention";

    /// <inheritdoc/>
    protected override int MinimumInputCount => UseMasks ? 4 : 2;

    /// <inheritdoc/>
    protected override int MaximumInputCount => UseMasks ? 5 : 3;

    /// <summary>The generator of the dropout masks, created on first use; serialization saves and restores its state.</summary>
    internal SeededRandom DropoutRandom => _random ??= CreateRandom(DropoutSeed);

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => DropoutRandom;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("use_scale", UseScale)
        .Set("dropout", Dropout)
        .Set("seed", DropoutSeed)
        .Set("use_causal_mask", UseCausalMask)
        .Set("use_masks", UseMasks)
        .Set("return_attention_scores", ReturnAttentionScores);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static AdditiveAttention FromConfig(Config config)
    {
        Config d = config.WithDefaults(new AdditiveAttention().GetConfig());
        return new AdditiveAttention(d.GetBoolean("use_scale"), d.GetDouble("dropout"), d.GetBoolean("use_causal_mask"), d.GetBoolean("use_masks"),
            d.GetBoolean("return_attention_scores"), d.GetNullableInt64("seed"), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        (int tq, int tv, int dim, int dv, bool hasKey) = Attention.CheckInputs(this, inputShapes, UseMasks);
        if (UseScale)
        {
            _scale = AddParameter("scale", new TensorShape(dim), new GlorotUniform());
        }

        _core = new ScoreAttention(ScoreKind.Additive, tq, tv, dim, dv, hasKey, UseMasks, UseCausalMask, Dropout, _scale, null);
        return new TensorShape(tq, dv);
    }

    /// <summary>Keras' <c>supports_masking</c>: the output carries the query's mask.</summary>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training) =>
        _core!.Forward(inputs, InputMasks, training, training && Dropout > 0.0 ? DropoutRandom : null);

    // Not judged before a pass (the mask in effect depends on the call's inputs).
    internal override bool MasksSurely(ReadOnlySpan<bool> inputsMasked) => false;

    /// <summary>Keras' <c>compute_mask</c>: the query mask in effect (a mask input, else the query's own mask), or none.</summary>
    /// <param name="inputs">The inputs of the forward pass.</param>
    /// <param name="output">The output of the forward pass.</param>
    protected override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output) => _core!.OutputMask;

    /// <inheritdoc/>
    protected override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients) =>
        _core!.Backward(this, outputGradient, inputGradients, ComputesInputGradient);

    /// <inheritdoc/>
    internal override bool HasSeveralOutputs => ReturnAttentionScores;

    /// <inheritdoc/>
    private protected override IReadOnlyList<TensorShape> AdditionalOutputShapes => _core!.AdditionalOutputShapes(ReturnAttentionScores);

    /// <inheritdoc/>
    private protected override Tensor AdditionalOutput(int index) => LastAttentionScores;

    /// <inheritdoc/>
    private protected override void SetAdditionalOutputGradients(ReadOnlySpan<Tensor?> gradients) => _core!.SetScoresGradient(gradients);
}
