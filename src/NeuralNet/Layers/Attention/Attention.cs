using System.Globalization;
using NeuralNet.Initializers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Dot-product attention, a.k.a. Luong-style attention (Keras' <c>Attention</c>): each query step attends to every key
/// step and returns the value steps weighted by a softmax of the scores.
/// </summary>
/// <remarks>
/// <para>Inputs, in call order: query (batch, Tq, dim), value (batch, Tv, valueDim), optionally key (batch, Tv, dim)
/// (the value when absent); with <see cref="UseMasks"/> two more: the query mask (batch, Tq) and the value mask
/// (batch, Tv) (Keras' <c>mask=[query_mask, value_mask]</c>), where 0 masks a step and any other value keeps it.
/// Without them, the masks that arrive with the query and the value (from <see cref="Embedding"/> with
/// <c>maskZero</c>, <see cref="Masking"/>, ...) are used, as Keras fills <c>mask</c> from them; the key's mask is not
/// read, as in Keras. Output (batch, Tq, valueDim), carrying the query mask in effect (<see cref="Layer.OutputMask"/>).</para>
/// <para>Scores (batch, Tq, Tv): <see cref="AttentionScoreMode.Dot"/> s = q·k, times the scalar weight <c>scale</c>
/// when <see cref="UseScale"/>; <see cref="AttentionScoreMode.Concat"/> s = w · Σ_d tanh(q_d + k_d) with the scalar
/// weight <c>concat_score_weight</c> (w), the sum inside the tanh times <c>scale</c> when <see cref="UseScale"/>; both
/// scalars start at 1. Masked value steps and, with <see cref="UseCausalMask"/>, keys after the query step get −1e9
/// added (probability 0); weights = softmax over the keys, dropped out with rate <see cref="Dropout"/> in training;
/// output = weights·value, zero at masked query steps.</para>
/// <para>The layer returns one tensor, or with <see cref="ReturnAttentionScores"/> two, the second the weights (Keras'
/// <c>return_attention_scores</c>, after dropout as in Keras); the weights of the last forward pass are also in
/// <see cref="LastAttentionScores"/>. The dot scores and the weighted sums are one
/// GEMM per sample.</para>
/// </remarks>
public sealed class Attention : MultiInputLayer, IRandomLayer
{
    private static readonly Ones s_ones = new();
    private Parameter? _scale;
    private Parameter? _concatWeight;
    private ScoreAttention? _core;
    private SeededRandom? _random;

    /// <summary>Creates a dot-product attention layer.</summary>
    /// <param name="useScale">Whether the scores are multiplied by a trainable scalar <c>scale</c> (starting at 1).</param>
    /// <param name="scoreMode">How scores are computed: <see cref="AttentionScoreMode.Dot"/> (Keras' default) or <see cref="AttentionScoreMode.Concat"/>.</param>
    /// <param name="dropout">The dropout rate of the attention weights during training, in [0, 1).</param>
    /// <param name="useCausalMask">Whether query step t attends only to key steps s &lt;= t (Keras' call argument <c>use_causal_mask</c>).</param>
    /// <param name="useMasks">Whether the layer takes the query and value masks as its last two inputs (Keras' call argument <c>mask</c>).</param>
    /// <param name="returnAttentionScores">Whether the layer has a second output, the attention weights (batch, Tq, Tv) (Keras' call
    /// argument <c>return_attention_scores</c>); see <see cref="ReturnAttentionScores"/>.</param>
    /// <param name="seed">The seed of the dropout masks; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>attention</c>, <c>attention_1</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The dropout rate is outside [0, 1), or the score mode is unknown.</exception>
    public Attention(bool useScale = false, AttentionScoreMode scoreMode = AttentionScoreMode.Dot, double dropout = 0.0, bool useCausalMask = false,
        bool useMasks = false, bool returnAttentionScores = false, long? seed = null, string? name = null)
        : base(name)
    {
        if (scoreMode is not (AttentionScoreMode.Dot or AttentionScoreMode.Concat))
        {
            throw new ArgumentOutOfRangeException(nameof(scoreMode), scoreMode, "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}.");
        }

        if (!(dropout >= 0.0 && dropout < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"Attention expects a dropout rate in [0, 1) but got dropout={dropout}.");
        }

        UseScale = useScale;
        ScoreMode = scoreMode;
        Dropout = dropout;
        UseCausalMask = useCausalMask;
        UseMasks = useMasks;
        ReturnAttentionScores = returnAttentionScores;
        DropoutSeed = seed;
    }

    /// <summary>Whether the scores are multiplied by the trainable scalar <c>scale</c>.</summary>
    public bool UseScale { get; }

    /// <summary>How scores are computed.</summary>
    public AttentionScoreMode ScoreMode { get; }

    /// <summary>The dropout rate of the attention weights during training.</summary>
    public double Dropout { get; }

    /// <summary>Whether query step t attends only to key steps s &lt;= t.</summary>
    public bool UseCausalMask { get; }

    /// <summary>Whether the last two inputs are the query mask and the value mask.</summary>
    public bool UseMasks { get; }

    /// <summary>
    /// Whether the layer has two outputs, its output and the attention weights (batch, Tq, Tv) of
    /// <see cref="LastAttentionScores"/> (Keras' call argument <c>return_attention_scores</c>): after the masks, the softmax
    /// and, in training, dropout, as Keras returns them. Such a layer is called with
    /// <see cref="Layer.CallOutputs(ReadOnlySpan{NeuralNet.Models.SymbolicTensor})"/>; a model may output the weights, and a
    /// loss on them trains the layer. <c>Sequential</c> refuses the layer, as Keras does.
    /// </summary>
    public bool ReturnAttentionScores { get; }

    /// <summary>The seed given to the constructor, or null when the dropout masks derive from the model's seed.</summary>
    public long? DropoutSeed { get; }

    /// <summary>The scalar <c>scale</c>; null without <see cref="UseScale"/> or before the layer is built.</summary>
    public Parameter? Scale => _scale;

    /// <summary>The scalar <c>concat_score_weight</c> of the concat score mode; null otherwise or before the layer is built.</summary>
    public Parameter? ConcatScoreWeight => _concatWeight;

    /// <summary>
    /// The attention weights of the last forward pass (after the masks, the softmax and, in training, dropout), (batch,
    /// Tq, Tv): owned by the layer and overwritten by its next forward pass.
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer has not run forward yet.</exception>
    public Tensor LastAttentionScores => _core?.LastWeights ?? throw new InvalidOperationException($"{Describe()} has no attention scores before its first forward pass.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "attention";

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
        .Set("score_mode", ScoreMode == AttentionScoreMode.Dot ? "dot" : "concat")
        .Set("dropout", Dropout)
        .Set("seed", DropoutSeed)
        .Set("use_causal_mask", UseCausalMask)
        .Set("use_masks", UseMasks)
        .Set("return_attention_scores", ReturnAttentionScores);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Attention FromConfig(Config config)
    {
        Config d = config.WithDefaults(new Attention().GetConfig());
        AttentionScoreMode mode = d.GetString("score_mode") switch
        {
            "dot" => AttentionScoreMode.Dot,
            "concat" => AttentionScoreMode.Concat,
            string other => throw d.Error($"Invalid value for argument score_mode. Expected one of {{'dot', 'concat'}}. Received: score_mode={other}"),
        };
        return new Attention(d.GetBoolean("use_scale"), mode, d.GetDouble("dropout"), d.GetBoolean("use_causal_mask"), d.GetBoolean("use_masks"),
            d.GetBoolean("return_attention_scores"), d.GetNullableInt64("seed"), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        (int tq, int tv, int dim, int dv, bool hasKey) = CheckInputs(this, inputShapes, UseMasks);
        if (UseScale)
        {
            _scale = AddParameter("scale", new TensorShape(ReadOnlySpan<int>.Empty), s_ones);
        }

        if (ScoreMode == AttentionScoreMode.Concat)
        {
            _concatWeight = AddParameter("concat_score_weight", new TensorShape(ReadOnlySpan<int>.Empty), s_ones);
        }

        ScoreKind kind = ScoreMode == AttentionScoreMode.Dot ? ScoreKind.Dot : ScoreKind.Concat;
        _core = new ScoreAttention(kind, tq, tv, dim, dv, hasKey, UseMasks, UseCausalMask, Dropout, _scale, _concatWeight);
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

    /// <summary>
    /// The checks of <see cref="Attention"/> and <see cref="AdditiveAttention"/>: query (Tq, dim), value (Tv, dv), key
    /// (Tv, dim), masks (Tq) and (Tv). Returns the sizes and whether a key was given.
    /// </summary>
    internal static (int Tq, int Tv, int Dim, int Dv, bool HasKey) CheckInputs(Layer layer, ReadOnlySpan<TensorShape> shapes, bool useMasks)
    {
        int sequences = shapes.Length - (useMasks ? 2 : 0);
        TensorShape query = shapes[0], value = shapes[1];
        TensorShape key = sequences == 3 ? shapes[2] : value;
        string names = sequences == 3 ? "[query, value, key]" : "[query, value]";
        if (query.Rank != 2 || value.Rank != 2 || key.Rank != 2)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{layer} expects {names} of shapes (None, steps, features) but got {Format(shapes[..sequences])}."), "inputShapes");
        }

        if (key[0] != value[0] || key[1] != query[1])
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{layer}: query, value and key must be (None, Tq, dim), (None, Tv, valueDim) and (None, Tv, dim), but got query {query.ToBatchString()}, value {value.ToBatchString()} and key {key.ToBatchString()}."), "inputShapes");
        }

        if (useMasks && (shapes[sequences] != new TensorShape(query[0]) || shapes[sequences + 1] != new TensorShape(value[0])))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{layer} expects the query mask (None, {query[0]}) and the value mask (None, {value[0]}) but got {shapes[sequences].ToBatchString()} and {shapes[sequences + 1].ToBatchString()}."), "inputShapes");
        }

        return (query[0], value[0], query[1], value[1], sequences == 3);
    }

    private static string Format(ReadOnlySpan<TensorShape> shapes)
    {
        var parts = new string[shapes.Length];
        for (int i = 0; i < shapes.Length; i++)
        {
            parts[i] = shapes[i].ToBatchString();
        }

        return "[" + string.Join(", ", parts) + "]";
    }
}
