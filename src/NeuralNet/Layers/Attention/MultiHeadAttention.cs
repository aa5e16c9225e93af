using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Multi-head attention (Keras' <c>MultiHeadAttention</c>, "Attention is all you need"): the query, key and value are
/// projected to <see cref="NumHeads"/> heads, each head attends with scaled dot products, and the heads' results are
/// projected back to the output features.
/// </summary>
/// <remarks>
/// <para>Inputs, in call order (for rank-3 inputs; higher ranks under <see cref="AttentionAxes"/>): query (batch, Tq,
/// queryFeatures), value (batch, Tv, valueFeatures), then optionally key
/// (batch, Tv, keyFeatures) (the value when absent), then, when <see cref="UseAttentionMask"/> is set, the attention
/// mask: (batch, Tq, Tv) or (batch, heads, Tq, Tv), where any of Tq, Tv and heads may be 1 to broadcast; an element
/// that is not 0 lets the query attend to the key, 0 masks it (Keras casts the mask to bool the same way). The masks
/// that arrive with the query, the value and (when given) the key, from <see cref="Embedding"/> with <c>maskZero</c>,
/// <see cref="Masking"/>, ..., join it as in Keras: query step t attends to key step s only where the query mask at t,
/// the value and key masks at s, the attention mask and the causal rule all allow it. Output (batch, Tq, outputShape ??
/// queryFeatures), carrying the query's mask (<see cref="Layer.OutputMask"/>).</para>
/// <para>Weights, in Keras' EinsumDense layouts and order: <c>query/kernel</c> (queryFeatures, heads, keyDim),
/// <c>query/bias</c> (heads, keyDim), <c>key/kernel</c> (keyFeatures, heads, keyDim), <c>key/bias</c> (heads, keyDim),
/// <c>value/kernel</c> (valueFeatures, heads, valueDim), <c>value/bias</c> (heads, valueDim),
/// <c>attention_output/kernel</c> (heads, valueDim, output), <c>attention_output/bias</c> (output); with
/// <see cref="UseGate"/>, <c>gate/kernel</c> (queryFeatures, heads, valueDim) and <c>gate/bias</c> (heads, valueDim) come
/// after the key's, where Keras builds its gate projection.</para>
/// <para>Per head h: q = query·Wq + bq, k = key·Wk + bk, v = value·Wv + bv; scores = q·kᵀ / sqrt(keyDim);
/// masked scores get −1e9 added (Keras' large negative number), so they get probability 0 and no gradient; a row with
/// every key masked (every masked query step, for one) gets equal probabilities, as Keras' fused attention gives on its
/// TensorFlow and JAX backends (its explicit softmax path, taken for attention scores or dropout, gives zeros since
/// Keras 3.10); p = softmax over the keys; during training p is dropped out with rate
/// <see cref="Dropout"/>; ctx = p·v; with <see cref="UseGate"/> ctx = ctx ⊙ sigmoid(query·Wg + bg); output = Σ_h ctx_h·Wo_h + bo. With <see cref="UseCausalMask"/> query t attends
/// only to keys s &lt;= t, combined with the mask input by a logical and.</para>
/// <para>The layer returns one tensor, or with <see cref="ReturnAttentionScores"/> two, the second the attention
/// probabilities (Keras' <c>return_attention_scores</c>); those of the last forward pass are also in
/// <see cref="LastAttentionScores"/>. Inputs of higher rank attend over <see cref="AttentionAxes"/>
/// (Keras' <c>attention_axes</c>), the other axes acting as batch axes; there a row with every key masked gets
/// probabilities 0, as on Keras' explicit path, which Keras always takes for them.</para>
/// <para>The class is open only for <see cref="GroupedQueryAttention"/>: its computation (build, forward, backward, masks,
/// config) is sealed, so a subclass of your own can change nothing but its name prefix; write a layer of your own
/// (<see cref="MultiInputLayer"/>) for another attention.</para>
/// <para>The projections are one GEMM each with the bias fused; the score and context products are one GEMM per sample
/// and head on strided views of the projections, so nothing is transposed or copied (inputs of higher rank whose
/// attention axes are not the trailing ones in order are copied into that order and back). Buffers are kept between batches,
/// so a training step allocates nothing after the first.</para>
/// </remarks>
public class MultiHeadAttention : MultiInputLayer, IRandomLayer
{
    // The key and value heads: NumHeads here; fewer in GroupedQueryAttention, where each serves NumHeads / _kvHeads query heads.
    private readonly int _kvHeads;
    private Parameter? _queryKernel;
    private Parameter? _queryBias;
    private Parameter? _keyKernel;
    private Parameter? _keyBias;
    private Parameter? _valueKernel;
    private Parameter? _valueBias;
    private Parameter? _outputKernel;
    private Parameter? _outputBias;
    private Parameter? _gateKernel;
    private Parameter? _gateBias;
    private SeededRandom? _random;
    private bool? _flashAttention;

    // Geometry, set by OnBuild.
    private int _tq;
    private int _tv;
    private int _queryFeatures;
    private int _keyFeatures;
    private int _valueFeatures;
    private int _outputFeatures;
    private bool _hasKey;
    private int _maskInput = -1;
    private int _maskSampleStride;
    private int _maskHeadStride;
    private int _maskQueryStride;
    private int _maskKeyStride;
    private int _maskGroupStride;

    // Inputs of rank above 3 (Keras' attention_axes): attention runs over _groups sequences per sample; the layouts copy
    // a sample into that order and back, null when it is the sample's own order.
    private int _groups = 1;
    private int[]? _resolvedAxes;
    private bool _highRank;
    private AttentionAxesLayout? _queryLayout;
    private AttentionAxesLayout? _valueLayout;
    private AttentionAxesLayout? _keyLayout;
    private AttentionAxesLayout? _outputLayout;
    private TensorShape _scoreSampleShape;
    private TensorShape _coreOutputShape;
    private TensorShape _qShape;
    private TensorShape _kShape;
    private TensorShape _vShape;
    private TensorShape _contextShape;
    private TensorShape _scoreShape;

    // Buffers and the last forward pass.
    private Tensor? _q;
    private Tensor? _k;
    private Tensor? _v;
    private Tensor? _probabilities;
    private Tensor? _dropMask;
    private Tensor? _dropped;
    private Tensor? _context;
    private Tensor? _gate;
    private Tensor? _gated;
    private Tensor? _gateGradient;
    private Tensor? _output;
    private Tensor? _contextGradient;
    private Tensor? _scoreGradient;
    private Tensor? _qGradient;
    private Tensor? _kGradient;
    private Tensor? _vGradient;
    private Tensor? _queryGradient;
    private Tensor? _keyGradient;
    private Tensor? _valueGradient;
    private Tensor? _maskGradient;
    private Tensor? _lastQuery;
    private Tensor? _lastKey;
    private Tensor? _lastValue;
    private Tensor? _lastMask;
    private Tensor? _lastQueryMask;
    private Tensor? _lastValueMask;
    private Tensor? _lastKeyMask;
    private Tensor? _arrangedQuery;
    private Tensor? _arrangedValue;
    private Tensor? _arrangedKey;
    private Tensor? _arrangedOutput;
    private Tensor? _arrangedOutputGradient;
    private Tensor? _arrangedQueryGradient;
    private Tensor? _arrangedValueGradient;
    private Tensor? _arrangedKeyGradient;
    private bool _lastDropped;
    private int _lastBatch = -1;

    // The scores as an output (ReturnAttentionScores): their shape, the view handed out, and the gradient given to them.
    private TensorShape[] _scoreOutputShapes = [];
    private Tensor? _scoresView;
    private Tensor? _scoresGradient;

    /// <summary>Creates a multi-head attention layer.</summary>
    /// <param name="numHeads">The number of heads, at least 1.</param>
    /// <param name="keyDim">The size of each head of the query and key, at least 1.</param>
    /// <param name="valueDim">The size of each head of the value; null for <paramref name="keyDim"/>.</param>
    /// <param name="dropout">The dropout rate of the attention probabilities during training, in [0, 1).</param>
    /// <param name="useBias">Whether the four projections (five with <see cref="UseGate"/>) have biases.</param>
    /// <param name="outputShape">The number of output features; null for the query's features (Keras' default).</param>
    /// <param name="attentionAxes">The axes attended over (Keras' <c>attention_axes</c>), counted with the batch axis as 0 or
    /// negative from the end (-2 is the last axis before the features); null for every axis but the batch and the
    /// features, Keras' default. The other axes act as batch axes; see <see cref="AttentionAxes"/>.</param>
    /// <param name="kernelInitializer">How the four kernels (five with <see cref="UseGate"/>) start; null for <see cref="GlorotUniform"/>.</param>
    /// <param name="biasInitializer">How the four biases (five with <see cref="UseGate"/>) start; null for <see cref="Zeros"/>.</param>
    /// <param name="kernelRegularizer">A penalty on each kernel, or null.</param>
    /// <param name="biasRegularizer">A penalty on each bias, or null.</param>
    /// <param name="useCausalMask">Whether query t attends only to keys s &lt;= t (Keras' call argument <c>use_causal_mask</c>).</param>
    /// <param name="useAttentionMask">Whether the layer takes the attention mask as its last input (Keras' call argument <c>attention_mask</c>).</param>
    /// <param name="returnAttentionScores">Whether the layer has a second output, the attention scores (Keras' call argument
    /// <c>return_attention_scores</c>); see <see cref="ReturnAttentionScores"/>.</param>
    /// <param name="seed">The seed of the dropout masks; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>multi_head_attention</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, or the dropout rate is outside [0, 1).</exception>
    /// <exception cref="ArgumentException"><paramref name="attentionAxes"/> is empty, names the batch axis (0) or repeats an axis.</exception>
    public MultiHeadAttention(
        int numHeads,
        int keyDim,
        int? valueDim = null,
        double dropout = 0.0,
        bool useBias = true,
        int? outputShape = null,
        IReadOnlyList<int>? attentionAxes = null,
        Initializer? kernelInitializer = null,
        Initializer? biasInitializer = null,
        Regularizer? kernelRegularizer = null,
        Regularizer? biasRegularizer = null,
        bool useCausalMask = false,
        bool useAttentionMask = false,
        bool returnAttentionScores = false,
        long? seed = null,
        string? name = null)
        : base(name)
    {
        if (numHeads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numHeads), numHeads, $"MultiHeadAttention expects a positive number of heads but got numHeads={numHeads}.");
        }

        if (keyDim < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(keyDim), keyDim, $"MultiHeadAttention expects a positive key size but got keyDim={keyDim}.");
        }

        if (valueDim is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(valueDim), valueDim, $"MultiHeadAttention expects a positive value size but got valueDim={valueDim}.");
        }

        if (outputShape is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(outputShape), outputShape, $"MultiHeadAttention expects a positive number of output features but got outputShape={outputShape}.");
        }

        if (!(dropout >= 0.0 && dropout < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"MultiHeadAttention expects a dropout rate in [0, 1) but got dropout={dropout}.");
        }

        if (attentionAxes is not null && (attentionAxes.Count == 0 || attentionAxes.Contains(0) || attentionAxes.Distinct().Count() != attentionAxes.Count))
        {
            throw new ArgumentException($"MultiHeadAttention{(name is null ? "" : $" '{name}'")} expects attentionAxes to name at least one axis, none of them the batch axis 0, each once, but got ({string.Join(", ", attentionAxes)}).", nameof(attentionAxes));
        }

        NumHeads = numHeads;
        KeyDim = keyDim;
        AttentionAxes = attentionAxes is null ? null : [.. attentionAxes];
        ValueDim = valueDim ?? keyDim;
        Dropout = dropout;
        UseBias = useBias;
        OutputDim = outputShape;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
        BiasInitializer = biasInitializer ?? Zeros.Instance;
        KernelRegularizer = kernelRegularizer;
        BiasRegularizer = biasRegularizer;
        UseCausalMask = useCausalMask;
        UseAttentionMask = useAttentionMask;
        ReturnAttentionScores = returnAttentionScores;
        DropoutSeed = seed;
        _kvHeads = numHeads;
    }

    /// <summary>The constructor of <see cref="GroupedQueryAttention"/>: <paramref name="kvHeads"/> key and value heads, each shared by a group of query heads.</summary>
    private protected MultiHeadAttention(int numHeads, int kvHeads, int headDim, double dropout, bool useBias, Initializer? kernelInitializer,
        Initializer? biasInitializer, Regularizer? kernelRegularizer, Regularizer? biasRegularizer, bool useCausalMask, bool useAttentionMask, bool returnAttentionScores, long? seed, string? name)
        : this(numHeads, headDim, headDim, dropout, useBias, null, null, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, useCausalMask, useAttentionMask,
            returnAttentionScores, seed, name)
    {
        _kvHeads = kvHeads;
    }

    /// <summary>The number of key and value heads: <see cref="NumHeads"/>, unless a <see cref="GroupedQueryAttention"/> shares them.</summary>
    private protected int KeyValueHeads => _kvHeads;

    /// <summary>The number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>The size of each head of the query and key.</summary>
    public int KeyDim { get; }

    /// <summary>The size of each head of the value.</summary>
    public int ValueDim { get; }

    /// <summary>The dropout rate of the attention probabilities during training.</summary>
    public double Dropout { get; }

    /// <summary>Whether the projections have biases.</summary>
    public bool UseBias { get; }

    /// <summary>The number of output features given to the constructor (Keras' <c>output_shape</c>); null for the query's features.</summary>
    public int? OutputDim { get; }

    /// <summary>
    /// The axes attended over as given to the constructor (Keras' <c>attention_axes</c>), or null for every axis but the
    /// batch and the features. For a query (batch, d1, ..., dn, features) the axes outside them act as batch axes, as in
    /// Keras' einsum: attention over (1, 2) of (batch, height, width, channels) lets every pixel attend to every pixel, one
    /// softmax over all of them; attention over (2) of (batch, rows, columns, features) attends within each row. The query
    /// and the value agree on the other axes; their attention axes may differ in size.
    /// </summary>
    public IReadOnlyList<int>? AttentionAxes { get; }

    /// <summary>The kernels' initializer.</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>The biases' initializer.</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The kernels' penalty, or null.</summary>
    public Regularizer? KernelRegularizer { get; }

    /// <summary>The biases' penalty, or null.</summary>
    public Regularizer? BiasRegularizer { get; }

    /// <summary>
    /// The projection the optimizer applies to each of the four kernels (five with <see cref="UseGate"/>) after each step (Keras' <c>kernel_constraint</c>,
    /// which Keras hands to the query, key, value and output EinsumDense layers alike; such as
    /// <c>new MultiHeadAttention(2, 8) { KernelConstraint = new MaxNorm(2f) }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? KernelConstraint { get; init; }

    /// <summary>The projection the optimizer applies to each of the four biases (five with <see cref="UseGate"/>) after each step (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>
    /// Whether each head's attention output is multiplied by a sigmoid gate computed from the query before the output
    /// projection (Keras 3.15's <c>use_gate</c>, the gated attention of Qiu et al., 2025): gate = sigmoid(query·Wg + bg),
    /// an EinsumDense like the query's with (heads, valueDim) outputs, named <c>gate</c>; false by default, as in Keras.
    /// Set before the layer is built, such as <c>new MultiHeadAttention(2, 8) { UseGate = true }</c>. The gate projection
    /// takes the layer's initializers, regularizers and constraints, as Keras hands them to every projection.
    /// </summary>
    public bool UseGate { get; init; }

    /// <summary>
    /// Keras' <c>flash_attention</c>: null (Keras' default: use flash attention where the backend and hardware allow it),
    /// true or false. Read from and written to configs so that Keras' setting survives a round trip; it has no effect
    /// here, where attention is always computed exactly (scores, softmax, weighted sum). As in Keras, true refuses a
    /// dropout rate above 0.
    /// </summary>
    /// <exception cref="ArgumentException">Set to true while <see cref="Dropout"/> is above 0.</exception>
    public bool? FlashAttention
    {
        get => _flashAttention;
        init
        {
            if (value == true && ReturnAttentionScores)
            {
                throw new ArgumentException(
                    $"{Describe()}: returning attention scores is not supported when flash attention is enabled (Keras refuses it); set flashAttention to false or null to use returnAttentionScores: true.", nameof(FlashAttention));
            }

            if (value == true && Dropout > 0.0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()}: dropout is not supported when flash attention is enabled (Keras refuses it); set dropout to 0.0 to use flashAttention: true. Received: dropout={Dropout}."), nameof(FlashAttention));
            }

            _flashAttention = value;
        }
    }

    /// <summary>The gate projection's kernel (queryFeatures, heads, valueDim); null without <see cref="UseGate"/>. Throws until the layer is built.</summary>
    public Parameter? GateKernel => UseGate ? _gateKernel ?? throw NotBuiltYet() : null;

    /// <summary>The gate projection's bias (heads, valueDim); null without <see cref="UseGate"/> or without biases.</summary>
    public Parameter? GateBias => UseGate && UseBias ? _gateBias ?? throw NotBuiltYet() : null;

    /// <summary>Whether query t attends only to keys s &lt;= t.</summary>
    public bool UseCausalMask { get; }

    /// <summary>Whether the last input is the attention mask.</summary>
    public bool UseAttentionMask { get; }

    /// <summary>
    /// Whether the layer has two outputs, its output and the attention scores (Keras' call argument
    /// <c>return_attention_scores</c>): the probabilities of <see cref="LastAttentionScores"/>, after the masks and the
    /// softmax and before dropout, as Keras returns them. Such a layer is called with
    /// <see cref="Layer.CallOutputs(ReadOnlySpan{NeuralNet.Models.SymbolicTensor})"/>; a model may output the scores, and
    /// a loss on them trains the layer. A row whose every key is masked then has probabilities 0, as on Keras' explicit
    /// path, which Keras takes when it returns the scores. <c>Sequential</c> refuses the layer, as Keras does.
    /// </summary>
    public bool ReturnAttentionScores { get; }

    /// <summary>The seed given to the constructor, or null when the dropout masks derive from the model's seed.</summary>
    public long? DropoutSeed { get; }

    /// <summary>
    /// The attention probabilities of the last forward pass (Keras' attention scores, after the mask and softmax and
    /// before dropout): (batch, heads, Tq, Tv), owned by the layer and overwritten by its next forward pass. For inputs of
    /// higher rank, Keras' layout: (batch, other axes..., heads, query attention axes..., key attention axes...).
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer has not run forward yet.</exception>
    public Tensor LastAttentionScores => _lastBatch >= 0 && _probabilities is not null
        ? (_highRank ? _probabilities.FirstRows(_lastBatch * _groups).Reshape([_lastBatch, .. _scoreSampleShape.Dimensions]) : _probabilities.FirstRows(_lastBatch))
        : throw new InvalidOperationException($"{Describe()} has no attention scores before its first forward pass.");

    /// <inheritdoc/>
    internal sealed override bool HasSeveralOutputs => ReturnAttentionScores;

    /// <inheritdoc/>
    private protected sealed override IReadOnlyList<TensorShape> AdditionalOutputShapes => _scoreOutputShapes;

    /// <inheritdoc/>
    private protected sealed override Tensor AdditionalOutput(int index) => _scoresView!;

    /// <inheritdoc/>
    private protected sealed override void SetAdditionalOutputGradients(ReadOnlySpan<Tensor?> gradients) =>
        _scoresGradient = gradients.IsEmpty ? null : gradients[0];

    // The probabilities in Keras' score layout, (batch, heads, Tq, Tv) or at higher ranks (batch, other axes..., heads,
    // query axes..., key axes...): the same memory, viewed anew only when the batch buffer changes.
    private Tensor ScoresView(Tensor probabilities, int samples)
    {
        if (!_highRank)
        {
            return probabilities;
        }

        if (_scoresView is null || _scoresView.Shape[0] != samples || !_scoresView.SharesStorageWith(probabilities))
        {
            _scoresView = probabilities.Reshape([samples, .. _scoreSampleShape.Dimensions]);
        }

        return _scoresView;
    }

    /// <summary>The query projection's kernel (queryFeatures, heads, keyDim). Throws until the layer is built.</summary>
    public Parameter QueryKernel => _queryKernel ?? throw NotBuiltYet();

    /// <summary>The key projection's kernel (keyFeatures, heads, keyDim); heads are the key/value heads, <see cref="GroupedQueryAttention.NumKeyValueHeads"/>, in a <see cref="GroupedQueryAttention"/>. Throws until the layer is built.</summary>
    public Parameter KeyKernel => _keyKernel ?? throw NotBuiltYet();

    /// <summary>The value projection's kernel (valueFeatures, heads, valueDim); heads are the key/value heads in a <see cref="GroupedQueryAttention"/>. Throws until the layer is built.</summary>
    public Parameter ValueKernel => _valueKernel ?? throw NotBuiltYet();

    /// <summary>The output projection's kernel (heads, valueDim, output). Throws until the layer is built.</summary>
    public Parameter OutputKernel => _outputKernel ?? throw NotBuiltYet();

    /// <summary>The query projection's bias (heads, keyDim); null without biases.</summary>
    public Parameter? QueryBias => UseBias ? _queryBias ?? throw NotBuiltYet() : null;

    /// <summary>The key projection's bias (heads, keyDim), the key/value heads in a <see cref="GroupedQueryAttention"/>; null without biases.</summary>
    public Parameter? KeyBias => UseBias ? _keyBias ?? throw NotBuiltYet() : null;

    /// <summary>The value projection's bias (heads, valueDim), the key/value heads in a <see cref="GroupedQueryAttention"/>; null without biases.</summary>
    public Parameter? ValueBias => UseBias ? _valueBias ?? throw NotBuiltYet() : null;

    /// <summary>The output projection's bias (output); null without biases.</summary>
    public Parameter? OutputBias => UseBias ? _outputBias ?? throw NotBuiltYet() : null;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "multi_head_attention";

    /// <inheritdoc/>
    protected sealed override int MinimumInputCount => UseAttentionMask ? 3 : 2;

    /// <inheritdoc/>
    protected sealed override int MaximumInputCount => UseAttentionMask ? 4 : 3;

    /// <summary>The generator of the dropout masks, created on first use; serialization saves and restores its state.</summary>
    internal SeededRandom DropoutRandom => _random ??= CreateRandom(DropoutSeed);

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => DropoutRandom;

    /// <inheritdoc/>
    public sealed override Config GetConfig() => WriteConfig(base.GetConfig());

    /// <summary>Adds the layer's own keys to the base layer's config (a <see cref="GroupedQueryAttention"/> writes Keras' keys for it).</summary>
    private protected virtual Config WriteConfig(Config layerConfig)
    {
        Config config = layerConfig
            .Set("num_heads", NumHeads)
            .Set("key_dim", KeyDim)
            .Set("value_dim", ValueDim)
            .Set("dropout", Dropout)
            .Set("use_bias", UseBias);
        config = OutputDim is int output ? config.Set("output_shape", [output]) : config.SetNull("output_shape");
        // Keras' get_config after build writes the axes _build_attention resolved (positive; every axis but the batch and
        // the features for null), so that Keras versions that read negative axes otherwise read the same axes.
        int[]? axes = IsBuilt ? _resolvedAxes : AttentionAxes?.ToArray();
        config = axes is null ? config.SetNull("attention_axes") : config.Set("attention_axes", axes);
        config = FlashAttention is bool flash ? config.Set("flash_attention", flash) : config.SetNull("flash_attention");
        return config
            .Set("kernel_initializer", KernelInitializer)
            .Set("bias_initializer", BiasInitializer)
            .Set("kernel_regularizer", KernelRegularizer)
            .Set("bias_regularizer", BiasRegularizer)
            .Set("kernel_constraint", KernelConstraint)
            .Set("bias_constraint", BiasConstraint)
            .Set("use_gate", UseGate)
            .Set("seed", DropoutSeed)
            .Set("use_causal_mask", UseCausalMask)
            .Set("use_attention_mask", UseAttentionMask)
            .Set("return_attention_scores", ReturnAttentionScores);
    }

    /// <summary>Keras' <c>from_config</c>; <c>output_shape</c> is an integer or a one-element list, <c>attention_axes</c> null, an integer or a list.</summary>
    internal static MultiHeadAttention FromConfig(Config config)
    {
        RefuseSlidingWindow(config);
        int heads = config.GetInt32("num_heads", minimum: 1);
        int keyDim = config.GetInt32("key_dim", minimum: 1);
        Config d = config.WithDefaults(new MultiHeadAttention(heads, keyDim).GetConfig());
        int? valueDim = d.Contains("value_dim") ? d.GetInt32("value_dim", minimum: 1) : null;
        int? output = null;
        if (d.GetNode("output_shape") is JsonArray)
        {
            int[] dims = d.GetInt32Array("output_shape", 1, minimum: 1);
            output = dims.Length == 1 ? dims[0] : throw d.Error("\"output_shape\" must name one output dimension; only (features) outputs are supported.");
        }
        else if (d.Contains("output_shape"))
        {
            output = d.GetInt32("output_shape", minimum: 1);
        }

        JsonNode? axes = d.GetNode("attention_axes");
        int[]? axisList = axes is null ? null : axes is JsonArray ? d.GetInt32Array("attention_axes", InputLayer.MaxRank) : [d.GetInt32("attention_axes")];
        if (axisList is not null && (axisList.Length == 0 || axisList.Contains(0) || axisList.Distinct().Count() != axisList.Length))
        {
            throw d.Error("\"attention_axes\" must be null or name at least one axis, none of them the batch axis 0, each once.");
        }

        return new MultiHeadAttention(heads, keyDim, valueDim, d.GetDouble("dropout"), d.GetBoolean("use_bias"), output, axisList,
            d.GetInitializer("kernel_initializer"), d.GetInitializer("bias_initializer"), d.GetRegularizer("kernel_regularizer"),
            d.GetRegularizer("bias_regularizer"), d.GetBoolean("use_causal_mask"), d.GetBoolean("use_attention_mask"),
            d.GetBoolean("return_attention_scores"), d.GetNullableInt64("seed"), config.GetString("name"))
        {
            KernelConstraint = d.GetConstraint("kernel_constraint"),
            BiasConstraint = d.GetConstraint("bias_constraint"),
            UseGate = d.GetBoolean("use_gate"),
            FlashAttention = ReadFlashAttention(d),
        };
    }

    /// <summary>
    /// Refuses Keras 3.15's <c>sliding_window</c> other than null: a band mask this layer does not implement, which
    /// ignoring would silently change what the layer computes.
    /// </summary>
    private protected static void RefuseSlidingWindow(Config config)
    {
        if (config.GetNode("sliding_window") is JsonNode window)
        {
            throw config.Error($"\"sliding_window\" is {window.ToJsonString()}, but NeuralNet's attention layers have no sliding-window mask (Keras 3.15's band |t - s| < sliding_window); only null (full attention) is supported.");
        }
    }

    /// <summary>Keras' <c>flash_attention</c>: null (or absent) or a boolean.</summary>
    private protected static bool? ReadFlashAttention(Config config) =>
        config.GetNode("flash_attention") is null ? null : config.GetBoolean("flash_attention");

    /// <inheritdoc/>
    protected sealed override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        int sequences = inputShapes.Length - (UseAttentionMask ? 1 : 0);
        TensorShape query = inputShapes[0], value = inputShapes[1];
        TensorShape key = sequences == 3 ? inputShapes[2] : value;
        if (_kvHeads != NumHeads || this is GroupedQueryAttention)
        {
            // Keras' GroupedQueryAttention takes (batch, steps, features) only.
            RequireSequence(query, "query");
            RequireSequence(value, "value");
            if (sequences == 3)
            {
                RequireSequence(key, "key");
            }
        }

        if (key.Rank != value.Rank || !key.Dimensions[..^1].SequenceEqual(value.Dimensions[..^1]))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: all dimensions of value and key but the last must be equal, but got value {value.ToBatchString()} and key {key.ToBatchString()}."), nameof(inputShapes));
        }

        (int[] axes, int[] order) = AttentionAxesLayout.Resolve(Describe(), query, value, AttentionAxes);
        _highRank = query.Rank > 2;
        _resolvedAxes = axes;
        if (_highRank && UseCausalMask)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: the causal mask needs (None, steps, features) inputs, but the query is {query.ToBatchString()}; Keras builds it from the query's and value's axis 1 only."), nameof(inputShapes));
        }

        // The sizes of the other axes and of the query's and value's attention axes: the groups, Tq and Tv are their products.
        int[] others = [.. Enumerable.Range(1, query.Rank - 1).Where(a => !axes.Contains(a)).Select(a => query[a - 1])];
        int[] queryAxes = [.. axes.Select(a => query[a - 1])], keyAxes = [.. axes.Select(a => value[a - 1])];
        _groups = others.Aggregate(1, (product, d) => product * d);
        _tq = queryAxes.Aggregate(1, (product, d) => product * d);
        _tv = keyAxes.Aggregate(1, (product, d) => product * d);
        _queryFeatures = query[-1];
        _valueFeatures = value[-1];
        _keyFeatures = key[-1];
        _outputFeatures = OutputDim ?? _queryFeatures;
        _queryLayout = Arrangement(query, order);
        _valueLayout = Arrangement(value, order);
        _keyLayout = sequences == 3 ? Arrangement(key, order) : null;
        _outputLayout = Arrangement(WithFeatures(query, _outputFeatures), order);
        // Keras' score layout per sample: (other axes..., heads, query attention axes..., key attention axes...).
        _scoreSampleShape = new TensorShape([.. others, NumHeads, .. queryAxes, .. keyAxes]);
        _hasKey = sequences == 3;
        if (UseAttentionMask)
        {
            _maskInput = inputShapes.Length - 1;
            SetMaskStrides(inputShapes[_maskInput], others, queryAxes, keyAxes);
        }

        // Keras 3 (keras/src/layers/attention/multi_head_attention.py, _get_common_kwargs_for_sublayer) hands the same
        // kernel_constraint and bias_constraint to the query, key, value and output EinsumDense layers.
        _queryKernel = AddParameter("query/kernel", new TensorShape(_queryFeatures, NumHeads, KeyDim), KernelInitializer, KernelRegularizer, constraint: KernelConstraint);
        if (UseBias)
        {
            _queryBias = AddParameter("query/bias", new TensorShape(NumHeads, KeyDim), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        _keyKernel = AddParameter("key/kernel", new TensorShape(_keyFeatures, _kvHeads, KeyDim), KernelInitializer, KernelRegularizer, constraint: KernelConstraint);
        if (UseBias)
        {
            _keyBias = AddParameter("key/bias", new TensorShape(_kvHeads, KeyDim), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        if (UseGate)
        {
            // Keras builds the gate projection (an EinsumDense of the query, sigmoid activation) after the key's.
            _gateKernel = AddParameter("gate/kernel", new TensorShape(_queryFeatures, NumHeads, ValueDim), KernelInitializer, KernelRegularizer, constraint: KernelConstraint);
            if (UseBias)
            {
                _gateBias = AddParameter("gate/bias", new TensorShape(NumHeads, ValueDim), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
            }
        }

        _valueKernel = AddParameter("value/kernel", new TensorShape(_valueFeatures, _kvHeads, ValueDim), KernelInitializer, KernelRegularizer, constraint: KernelConstraint);
        if (UseBias)
        {
            _valueBias = AddParameter("value/bias", new TensorShape(_kvHeads, ValueDim), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        _outputKernel = AddParameter("attention_output/kernel", new TensorShape(NumHeads, ValueDim, _outputFeatures), KernelInitializer, KernelRegularizer, constraint: KernelConstraint);
        if (UseBias)
        {
            _outputBias = AddParameter("attention_output/bias", new TensorShape(_outputFeatures), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        _qShape = new TensorShape(_tq, NumHeads * KeyDim);
        _kShape = new TensorShape(_tv, _kvHeads * KeyDim);
        _vShape = new TensorShape(_tv, _kvHeads * ValueDim);
        _contextShape = new TensorShape(_tq, NumHeads * ValueDim);
        _scoreShape = new TensorShape(NumHeads, _tq, _tv);
        _scoreOutputShapes = ReturnAttentionScores ? [_scoreSampleShape] : [];
        _coreOutputShape = new TensorShape(_tq, _outputFeatures);
        return WithFeatures(query, _outputFeatures);
    }

    // Null when the sample is used in its own order.
    private static AttentionAxesLayout? Arrangement(TensorShape sample, int[] order)
    {
        AttentionAxesLayout layout = AttentionAxesLayout.Create(sample, order);
        return layout.Identity ? null : layout;
    }

    /// <summary>Keras' <c>supports_masking</c>: the output carries the query's mask.</summary>
    public sealed override bool SupportsMasking => true;

    // Not judged before a pass (the query mask in effect depends on the call's inputs).
    internal sealed override bool MasksSurely(ReadOnlySpan<bool> inputsMasked) => false;

    /// <summary>Keras sets the query's mask on the output (and none when the query has none).</summary>
    /// <param name="inputs">The inputs of the forward pass.</param>
    /// <param name="output">The output of the forward pass.</param>
    protected sealed override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output) => _lastQueryMask;

    /// <inheritdoc/>
    protected sealed override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // query (B, Tq, Dq), key (B, Tv, Dk'), value (B, Tv, Dv'); heads H; q (B, Tq, H, dk), k (B, Tv, H, dk), v (B, Tv, H, dv);
        // p (B, H, Tq, Tv); ctx (B, Tq, H, dv); output (B, Tq, E).
        int samples = inputs[0].Shape[0], batch = samples * _groups, heads = NumHeads, dk = KeyDim, dv = ValueDim;
        ReadOnlySpan<Tensor?> masks = InputMasks;
        if (_highRank && AnyMask(masks[..Math.Min(masks.Length, inputs.Length - (UseAttentionMask ? 1 : 0))]))
        {
            throw new NotSupportedException($"{Describe()} got a Keras mask with a query of rank {InputShapes[0].Rank + 1}; masks that arrive with the inputs are supported for (None, steps, features) inputs only (use the attention mask input).");
        }

        // Inputs of higher rank are laid out as (batch · groups, steps, features) sequences.
        Tensor query = Arranged(inputs[0], InputShapes[0], _queryLayout, ref _arrangedQuery, samples);
        Tensor value = Arranged(inputs[1], InputShapes[1], _valueLayout, ref _arrangedValue, samples);
        Tensor key = _hasKey ? Arranged(inputs[2], InputShapes[2], _keyLayout, ref _arrangedKey, samples) : value;

        // Keras' _compute_attention_mask: the masks that arrive with the query, value and key (the key's only when a key
        // is given) join the attention mask and the causal mask by a logical and.
        _lastMask = _maskInput >= 0 ? inputs[_maskInput] : null;
        _lastQueryMask = masks.Length > 0 ? masks[0] : null;
        _lastValueMask = masks.Length > 1 ? masks[1] : null;
        _lastKeyMask = _hasKey && masks.Length > 2 ? masks[2] : null;
        int qWidth = heads * dk, vWidth = heads * dv, kvWidth = _kvHeads * dk, kvValueWidth = _kvHeads * dv, group = heads / _kvHeads;
        Tensor q = BatchView(ref _q, batch, _qShape);
        Tensor k = BatchView(ref _k, batch, _kShape);
        Tensor v = BatchView(ref _v, batch, _vShape);
        Project(query, _queryKernel!, _queryBias, q, _queryFeatures, qWidth);
        Project(key, _keyKernel!, _keyBias, k, _keyFeatures, kvWidth);
        Project(value, _valueKernel!, _valueBias, v, _valueFeatures, kvValueWidth);

        TensorShape scoreShape = _scoreShape;
        Tensor p = BatchView(ref _probabilities, batch, scoreShape);
        float scale = (float)(1.0 / Math.Sqrt(KeyDim));
        int tqtv = _tq * _tv;
        ReadOnlySpan<float> qs = q.AsReadOnlySpan(), ks = k.AsReadOnlySpan(), vs = v.AsReadOnlySpan();
        Span<float> ps = p.AsSpan();
        for (int b = 0; b < batch; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                // scores (Tq, Tv) = q_bh (Tq, dk) · k_bgᵀ / sqrt(dk), g = h / group the head's key, reading the heads in place
                // through the leading dimensions.
                Span<float> scores = ps.Slice(((b * heads) + h) * tqtv, tqtv);
                Gemm.Multiply(false, true, _tq, _tv, dk, scale, qs[((b * _tq * qWidth) + (h * dk))..], qWidth, ks[((b * _tv * kvWidth) + (h / group * dk))..], kvWidth, 0f, scores, _tv);
                ApplyMask(scores, b, h);
            }
        }

        AttentionKernels.SoftmaxRows(ps, batch * heads * _tq, _tv);
        if ((_highRank || ReturnAttentionScores) && Masked)
        {
            // Keras computes attention over several axes, or returns the scores, on its explicit path only (its fused one
            // takes rank-4 projections and returns no scores), where Softmax multiplies the probabilities by the mask
            // (Keras 3.10+): a row with every key masked is all 0.
            for (int b = 0; b < batch; b++)
            {
                for (int h = 0; h < heads; h++)
                {
                    ClearMasked(ps.Slice(((b * heads) + h) * tqtv, tqtv), b, h);
                }
            }
        }

        Tensor weights = p;
        _lastDropped = training && Dropout > 0.0;
        if (_lastDropped)
        {
            Tensor dropMask = BatchView(ref _dropMask, batch, scoreShape);
            DropoutRandom.FillKeepMask(dropMask.AsSpan(), (uint)Math.Round(Dropout * (1 << 24)), (float)(1.0 / (1.0 - Dropout)));
            weights = BatchView(ref _dropped, batch, scoreShape);
            TensorPrimitives.Multiply(p.AsReadOnlySpan(), dropMask.AsReadOnlySpan(), weights.AsSpan());
        }

        Tensor context = BatchView(ref _context, batch, _contextShape);
        ReadOnlySpan<float> ws = weights.AsReadOnlySpan();
        Span<float> cs = context.AsSpan();
        for (int b = 0; b < batch; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                // ctx_bh (Tq, dv) = p_bh (Tq, Tv) · v_bg (Tv, dv), written into its head's columns of ctx.
                Gemm.Multiply(false, false, _tq, dv, _tv, 1f, ws.Slice(((b * heads) + h) * tqtv, tqtv), _tv, vs[((b * _tv * kvValueWidth) + (h / group * dv))..], kvValueWidth, 0f, cs[((b * _tq * vWidth) + (h * dv))..], vWidth);
            }
        }

        if (UseGate)
        {
            // Keras' gated attention: ctx ⊙ sigmoid(query·Wg + bg), the gate (B, Tq, H, dv) an EinsumDense of the query.
            Tensor gate = BatchView(ref _gate, batch, _contextShape);
            Project(query, _gateKernel!, _gateBias, gate, _queryFeatures, vWidth);
            TensorPrimitives.Sigmoid(gate.AsReadOnlySpan(), gate.AsSpan());
            Tensor gated = BatchView(ref _gated, batch, _contextShape);
            TensorPrimitives.Multiply(context.AsReadOnlySpan(), gate.AsReadOnlySpan(), gated.AsSpan());
            context = gated;
        }

        Tensor output = BatchView(ref _output, samples, OutputShape);
        if (_outputLayout is null)
        {
            Project(context, _outputKernel!, _outputBias, output, vWidth, _outputFeatures);
        }
        else
        {
            Tensor arranged = BatchView(ref _arrangedOutput, batch, _coreOutputShape);
            Project(context, _outputKernel!, _outputBias, arranged, vWidth, _outputFeatures);
            _outputLayout.Restore(arranged.AsReadOnlySpan(), output.AsSpan(), samples);
        }

        _lastQuery = query;
        _lastKey = key;
        _lastValue = value;
        _lastBatch = samples;
        if (ReturnAttentionScores)
        {
            _scoresView = ScoresView(p, samples);
        }

        return output;
    }

    /// <inheritdoc/>
    protected sealed override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        int samples = outputGradient.Shape[0], batch = samples * _groups;
        if (samples != _lastBatch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last batch {_lastBatch}).");
        }

        outputGradient = Arranged(outputGradient, OutputShape, _outputLayout, ref _arrangedOutputGradient, samples);

        int heads = NumHeads, dk = KeyDim, dv = ValueDim, qWidth = heads * dk, vWidth = heads * dv, tqtv = _tq * _tv;
        int kvWidth = _kvHeads * dk, kvValueWidth = _kvHeads * dv, group = heads / _kvHeads;
        float scale = (float)(1.0 / Math.Sqrt(KeyDim));
        TensorShape scoreShape = _scoreShape;

        // Output projection: dWo += ctxᵀ·dY, dbo += Σ dY, dctx = dY·Woᵀ (ctx the gated context with a gate).
        Tensor contextGradient = BatchView(ref _contextGradient, batch, _contextShape);
        ProjectBackward((UseGate ? _gated! : _context!).FirstRows(batch), _outputKernel!, _outputBias, outputGradient, contextGradient, vWidth, _outputFeatures, accumulate: false);
        Tensor? gateGradient = UseGate ? GateBackward(contextGradient, batch) : null;

        // Per sample and head: dp' = dctx_bh·v_bgᵀ, dv_bg = Σ over the group's heads of p'_bhᵀ·dctx_bh.
        Tensor scoreGradient = BatchView(ref _scoreGradient, batch, scoreShape);
        Tensor vGradient = BatchView(ref _vGradient, batch, _vShape);
        ReadOnlySpan<float> weights = (_lastDropped ? _dropped! : _probabilities!).AsReadOnlySpan();
        ReadOnlySpan<float> dctx = contextGradient.AsReadOnlySpan(), vs = _v!.AsReadOnlySpan();
        Span<float> ds = scoreGradient.AsSpan(), dvs = vGradient.AsSpan();
        for (int b = 0; b < batch; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                int scores = ((b * heads) + h) * tqtv;
                ReadOnlySpan<float> dc = dctx[((b * _tq * vWidth) + (h * dv))..];
                int vOffset = (b * _tv * kvValueWidth) + (h / group * dv);
                float firstOfGroup = h % group == 0 ? 0f : 1f;
                Gemm.Multiply(false, true, _tq, _tv, dv, 1f, dc, vWidth, vs[vOffset..], kvValueWidth, 0f, ds.Slice(scores, tqtv), _tv);
                Gemm.Multiply(true, false, _tv, dv, _tq, 1f, weights.Slice(scores, tqtv), _tv, dc, vWidth, firstOfGroup, dvs[vOffset..], kvValueWidth);
            }
        }

        // Through dropout and the softmax: ds = p ⊙ (dp − Σ p ⊙ dp); masked scores get no gradient.
        int scoreCount = batch * heads * tqtv;
        if (_lastDropped)
        {
            TensorPrimitives.Multiply(ds[..scoreCount], _dropMask!.AsReadOnlySpan()[..scoreCount], ds[..scoreCount]);
        }

        if (_scoresGradient is Tensor scoresGradient)
        {
            // The scores output is p itself (before dropout, as Keras returns it): its gradient joins p's.
            TensorPrimitives.Add(ds[..scoreCount], scoresGradient.AsReadOnlySpan()[..scoreCount], ds[..scoreCount]);
        }

        AttentionKernels.SoftmaxBackwardRows(_probabilities!.AsReadOnlySpan(), ds, ds, batch * heads * _tq, _tv);
        if (Masked)
        {
            for (int b = 0; b < batch; b++)
            {
                for (int h = 0; h < heads; h++)
                {
                    ClearMasked(ds.Slice(((b * heads) + h) * tqtv, tqtv), b, h);
                }
            }
        }

        // dq_bh = ds_bh·k_bg / sqrt(dk), dk_bg = Σ over the group's heads of ds_bhᵀ·q_bh / sqrt(dk).
        Tensor qGradient = BatchView(ref _qGradient, batch, _qShape);
        Tensor kGradient = BatchView(ref _kGradient, batch, _kShape);
        ReadOnlySpan<float> qs = _q!.AsReadOnlySpan(), ks = _k!.AsReadOnlySpan(), dss = scoreGradient.AsReadOnlySpan();
        Span<float> dqs = qGradient.AsSpan(), dks = kGradient.AsSpan();
        for (int b = 0; b < batch; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                ReadOnlySpan<float> g = dss.Slice(((b * heads) + h) * tqtv, tqtv);
                int qOffset = (b * _tq * qWidth) + (h * dk), kOffset = (b * _tv * kvWidth) + (h / group * dk);
                Gemm.Multiply(false, false, _tq, dk, _tv, scale, g, _tv, ks[kOffset..], kvWidth, 0f, dqs[qOffset..], qWidth);
                Gemm.Multiply(true, false, _tv, dk, _tq, scale, g, _tv, qs[qOffset..], qWidth, h % group == 0 ? 0f : 1f, dks[kOffset..], kvWidth);
            }
        }

        // The three input projections.
        bool inputs = ComputesInputGradient;
        Tensor? queryGradient = inputs ? GradientBuffer(ref _queryGradient, ref _arrangedQueryGradient, _queryLayout, samples, 0) : null;
        Tensor? valueGradient = inputs ? GradientBuffer(ref _valueGradient, ref _arrangedValueGradient, _valueLayout, samples, 1) : null;
        Tensor? keyGradient = inputs && _hasKey ? GradientBuffer(ref _keyGradient, ref _arrangedKeyGradient, _keyLayout, samples, 2) : valueGradient;
        ProjectBackward(_lastQuery!, _queryKernel!, _queryBias, qGradient, queryGradient, _queryFeatures, qWidth, accumulate: false);
        if (gateGradient is not null)
        {
            // The gate reads the query too: its gradient is added to the query projection's.
            ProjectBackward(_lastQuery!, _gateKernel!, _gateBias, gateGradient, queryGradient, _queryFeatures, vWidth, accumulate: true);
        }

        ProjectBackward(_lastValue!, _valueKernel!, _valueBias, vGradient, valueGradient, _valueFeatures, kvValueWidth, accumulate: false);
        ProjectBackward(_lastKey!, _keyKernel!, _keyBias, kGradient, keyGradient, _keyFeatures, kvWidth, accumulate: !_hasKey);
        if (!inputs)
        {
            return;
        }

        inputGradients[0] = Restored(queryGradient!, _queryLayout, ref _queryGradient, samples, 0);
        inputGradients[1] = Restored(valueGradient!, _valueLayout, ref _valueGradient, samples, 1);
        if (_hasKey)
        {
            inputGradients[2] = Restored(keyGradient!, _keyLayout, ref _keyGradient, samples, 2);
        }

        if (_maskInput >= 0)
        {
            // The mask is compared with 0, so its gradient is 0.
            Tensor maskGradient = BatchView(ref _maskGradient, samples, InputShapes[_maskInput]);
            maskGradient.AsSpan().Clear();
            inputGradients[_maskInput] = maskGradient;
        }
    }

    // Through the gate: with g = sigmoid(z) and the gated context ctx ⊙ g, the gradient of the gated context d becomes
    // d ⊙ g for ctx (in place) and d ⊙ ctx ⊙ g (1 − g) for z, returned (B, Tq, H·dv) for the gate projection's backward.
    private Tensor GateBackward(Tensor gatedGradient, int batch)
    {
        Tensor gateGradient = BatchView(ref _gateGradient, batch, _contextShape);
        int count = gatedGradient.Length;
        ReadOnlySpan<float> gate = _gate!.AsReadOnlySpan()[..count], context = _context!.AsReadOnlySpan()[..count];
        Span<float> d = gatedGradient.AsSpan(), dz = gateGradient.AsSpan();
        for (int i = 0; i < count; i++)
        {
            float g = gate[i];
            dz[i] = d[i] * context[i] * g * (1f - g);
            d[i] *= g;
        }

        return gateGradient;
    }

    // The tensor itself when its samples are in the arranged order, otherwise its copy in that order.
    private static Tensor Arranged(Tensor x, TensorShape sample, AttentionAxesLayout? layout, ref Tensor? buffer, int samples)
    {
        if (layout is null)
        {
            return x;
        }

        Tensor arranged = BatchView(ref buffer, samples, sample);
        layout.Arrange(x.AsReadOnlySpan(), arranged.AsSpan(), samples);
        return arranged;
    }

    // Where the projections write input i's gradient: its own buffer, or an arranged one that Restored copies back.
    private Tensor GradientBuffer(ref Tensor? own, ref Tensor? arranged, AttentionAxesLayout? layout, int samples, int input) => layout is null
        ? BatchView(ref own, samples, InputShapes[input])
        : BatchView(ref arranged, samples, InputShapes[input]);

    private Tensor Restored(Tensor gradient, AttentionAxesLayout? layout, ref Tensor? own, int samples, int input)
    {
        if (layout is null)
        {
            return gradient;
        }

        Tensor restored = BatchView(ref own, samples, InputShapes[input]);
        layout.Restore(gradient.AsReadOnlySpan(), restored.AsSpan(), samples);
        return restored;
    }

    private static TensorShape WithFeatures(TensorShape sample, int features)
    {
        int[] dims = sample.Dimensions.ToArray();
        dims[^1] = features;
        return new TensorShape(dims);
    }

    // x (B, T, inputs) · kernel (inputs, outputs) + bias -> y (B, T, outputs), one GEMM with the bias fused.
    private static void Project(Tensor x, Parameter kernel, Parameter? bias, Tensor y, int inputs, int outputs)
    {
        int rows = x.Length / inputs;
        if (bias is not null)
        {
            Gemm.Multiply(false, false, rows, outputs, inputs, x.AsReadOnlySpan(), inputs, kernel.Value.AsReadOnlySpan(), outputs,
                bias.Value.AsReadOnlySpan(), GemmActivation.None, y.AsSpan(), outputs);
        }
        else
        {
            Gemm.Multiply(false, false, rows, outputs, inputs, 1f, x.AsReadOnlySpan(), inputs, kernel.Value.AsReadOnlySpan(), outputs, 0f, y.AsSpan(), outputs);
        }
    }

    // dKernel += xᵀ·dy; dBias += column sums of dy; dx = dy·kernelᵀ (added to dx when accumulating), skipped when dx is null.
    private static void ProjectBackward(Tensor x, Parameter kernel, Parameter? bias, Tensor dy, Tensor? dx, int inputs, int outputs, bool accumulate)
    {
        int rows = x.Length / inputs;
        ReadOnlySpan<float> dys = dy.AsReadOnlySpan()[..(rows * outputs)];
        Span<float> kernelGradient = kernel.GradientForProduct(out float beta);
        Gemm.Multiply(true, false, inputs, outputs, rows, 1f, x.AsReadOnlySpan(), inputs, dys, outputs, beta, kernelGradient, outputs);
        if (bias is not null)
        {
            Span<float> biasGradient = bias.Gradient.AsSpan();
            for (int start = 0; start < dys.Length; start += outputs)
            {
                TensorPrimitives.Add(biasGradient, dys.Slice(start, outputs), biasGradient);
            }
        }

        if (dx is not null)
        {
            Gemm.Multiply(false, true, rows, inputs, outputs, 1f, dys, outputs, kernel.Value.AsReadOnlySpan(), outputs, accumulate ? 1f : 0f, dx.AsSpan(), inputs);
        }
    }

    private static bool AnyMask(ReadOnlySpan<Tensor?> masks)
    {
        foreach (Tensor? mask in masks)
        {
            if (mask is not null)
            {
                return true;
            }
        }

        return false;
    }

    // Whether any mask applies to the current forward pass.
    private bool Masked => UseCausalMask || _lastMask is not null || _lastQueryMask is not null || _lastValueMask is not null || _lastKeyMask is not null;

    // Adds −1e9 to the scores (Tq, Tv) of sample b, head h that a mask or the causal rule forbids.
    private void ApplyMask(Span<float> scores, int b, int h)
    {
        if (!Masked)
        {
            return;
        }

        int maskBase = MaskBase(b, h);
        for (int t = 0; t < _tq; t++)
        {
            Span<float> row = scores.Slice(t * _tv, _tv);
            for (int s = 0; s < _tv; s++)
            {
                if (!Allowed(maskBase, b, t, s))
                {
                    row[s] += AttentionKernels.MaskedScore;
                }
            }
        }
    }

    private void ClearMasked(Span<float> gradient, int b, int h)
    {
        int maskBase = MaskBase(b, h);
        for (int t = 0; t < _tq; t++)
        {
            Span<float> row = gradient.Slice(t * _tv, _tv);
            for (int s = 0; s < _tv; s++)
            {
                if (!Allowed(maskBase, b, t, s))
                {
                    row[s] = 0f;
                }
            }
        }
    }

    // Where the attention mask of sequence b (a sample, or a sample's group at higher ranks) and head h starts.
    private int MaskBase(int b, int h) => (b / _groups * _maskSampleStride) + (b % _groups * _maskGroupStride) + (h * _maskHeadStride);

    // Query step t of sequence b may attend to key step s (in the head whose mask starts at maskBase) when every mask of
    // the last forward pass allows it.
    private bool Allowed(int maskBase, int b, int t, int s) =>
        (!UseCausalMask || s <= t)
        && (_lastMask is null || _lastMask.AsReadOnlySpan()[maskBase + (t * _maskQueryStride) + (s * _maskKeyStride)] != 0f)
        && (_lastQueryMask is null || _lastQueryMask.AsReadOnlySpan()[(b * _tq) + t] != 0f)
        && (_lastValueMask is null || _lastValueMask.AsReadOnlySpan()[(b * _tv) + s] != 0f)
        && (_lastKeyMask is null || _lastKeyMask.AsReadOnlySpan()[(b * _tv) + s] != 0f);

    // The mask's per-sample shape broadcasts to Keras' scores (other axes..., heads, query axes..., key axes...) as Keras'
    // _masked_softmax expands it: the query and key axes last, before them a prefix of (other axes..., heads), the rest 1.
    // For (None, steps, features) inputs that is (Tq, Tv) or (heads, Tq, Tv). Each part is either full or all 1
    // (broadcast, stride 0), so that one stride walks it.
    private static bool OnlyOnes(ReadOnlySpan<int> dims) => dims.IndexOfAnyExcept(1) < 0;

    private void SetMaskStrides(TensorShape mask, int[] others, int[] queryAxes, int[] keyAxes)
    {
        ReadOnlySpan<int> dims = mask.Dimensions;
        int lead = mask.Rank - queryAxes.Length - keyAxes.Length;
        bool fits = lead >= 0 && lead <= others.Length + 1;
        int covered = fits ? Math.Min(lead, others.Length) : 0;
        bool othersFull = fits && covered == others.Length && dims[..covered].SequenceEqual(others);
        fits &= othersFull || OnlyOnes(dims[..covered]);
        int headDim = fits && lead == others.Length + 1 ? dims[others.Length] : 1;
        fits &= headDim == 1 || headDim == NumHeads;
        ReadOnlySpan<int> queryPart = fits ? dims.Slice(lead, queryAxes.Length) : [], keyPart = fits ? dims[(lead + queryAxes.Length)..] : [];
        bool queryFull = queryPart.SequenceEqual(queryAxes), keyFull = keyPart.SequenceEqual(keyAxes);
        fits &= (queryFull || OnlyOnes(queryPart)) && (keyFull || OnlyOnes(keyPart));
        if (!fits)
        {
            string scores = string.Join(", ", [.. others, NumHeads, .. queryAxes, .. keyAxes]);
            string expected = others.Length == 0
                ? string.Create(CultureInfo.InvariantCulture, $"(None, {_tq}, {_tv}) or (None, {NumHeads}, {_tq}, {_tv})")
                : $"(None, {string.Join(", ", [.. queryAxes, .. keyAxes])}), (None, {string.Join(", ", [.. others, .. queryAxes, .. keyAxes])}) or (None, {scores})";
            string layout = others.Length == 0 ? "(batch, heads, queries, keys)" : "(batch, other axes..., heads, query axes..., key axes...)";
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: the attention mask {mask.ToBatchString()} does not broadcast to {layout} = (None, {scores}); expected {expected}, with 1 for any part to broadcast."), "inputShapes");
        }

        _maskSampleStride = mask.ElementCount;
        _maskKeyStride = keyFull ? 1 : 0;
        int keys = keyFull ? _tv : 1, queries = queryFull ? _tq : 1;
        _maskQueryStride = queryFull ? keys : 0;
        _maskHeadStride = headDim == 1 ? 0 : queries * keys;
        _maskGroupStride = othersFull && others.Length > 0 ? headDim * queries * keys : 0;
    }


    private void RequireSequence(TensorShape shape, string what)
    {
        if (shape.Rank != 2)
        {
            throw new ArgumentException($"{Describe()} expects {what} (None, steps, features) but got {shape.ToBatchString()}.", "inputShapes");
        }
    }

    private InvalidOperationException NotBuiltYet() => new($"{Describe()} has no weights until it is built.");
}
