using System.Globalization;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// An <see cref="Embedding"/> that can also project back to the vocabulary (Keras' <c>ReversibleEmbedding</c>), as
/// language models tie their input embedding to their output logits: called on token ids it looks up their vectors
/// (batch, ..., outputDim); called with <see cref="CallReverse"/> on hidden states (batch, ..., outputDim) it returns
/// logits (batch, ..., inputDim) = hidden · embeddingsᵀ (<see cref="TieWeights"/>, the default) or hidden ·
/// <see cref="ReverseEmbeddings"/>, optionally soft-capped as tanh(logits / cap) · cap.
/// </summary>
/// <remarks>
/// <para>Both calls share the layer's parameters, so in a model the gradients of the lookup and of the projection add up
/// in the one <see cref="Embeddings"/> gradient. The reverse call runs, as every further call of a shared layer, on a
/// copy of the layer that holds the same <see cref="Parameter"/> objects and its own buffers.</para>
/// <para>The layer has no bias. The lookup's ids follow <see cref="Embedding"/>'s rules; the reverse output carries no
/// mask, as in Keras (<c>mask_zero</c> masks only the lookup's output).</para>
/// </remarks>
/// <example>
/// <code>
/// var ids = new Input(new TensorShape(50));
/// var embedding = new ReversibleEmbedding(10_000, 64);
/// SymbolicTensor hidden = new Dense(64, ActivationFunction.Gelu).Call(embedding.Call(ids));
/// SymbolicTensor logits = embedding.CallReverse(hidden); // (None, 50, 10000), tied to the embeddings
/// var model = new Functional(ids, logits);
/// </code>
/// </example>
public sealed partial class ReversibleEmbedding : Layer
{
    private Parameter? _embeddings;
    private Parameter? _reverseEmbeddings;
    private Tensor? _output;
    private Tensor? _input;
    private Tensor? _inputGradient;
    private Tensor? _mask;

    // Set on the copy that runs a reverse call (never on the layer a user holds): its input is hidden states.
    private bool _reverse;

    /// <summary>Creates a reversible embedding layer.</summary>
    /// <param name="inputDim">The number of distinct ids (the vocabulary size), which is also the reverse output's length.</param>
    /// <param name="outputDim">The length of each vector, which is also the reverse input's length.</param>
    /// <param name="tieWeights">Whether the reverse projection uses the transpose of the embeddings (Keras' default), or a
    /// separate trainable <c>reverse_embeddings</c> (outputDim, inputDim).</param>
    /// <param name="embeddingsInitializer">Initializes the embeddings (and the reverse embeddings); RandomUniform(−0.05, 0.05) when null, as Keras.</param>
    /// <param name="embeddingsRegularizer">The embeddings' penalty, if any (Keras puts none on the reverse embeddings).</param>
    /// <param name="maskZero">Whether id 0 is padding that the layers after the lookup skip (Keras' <c>mask_zero</c>).</param>
    /// <param name="reverseDtype">Keras' <c>reverse_dtype</c>: null (the layer's dtype) or <c>"float32"</c>, the only type
    /// NeuralNet computes in.</param>
    /// <param name="logitSoftCap">When set, the reverse output is tanh(logits / cap) · cap (Keras' <c>logit_soft_cap</c>); a positive, finite number.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>reversible_embedding</c>, <c>reversible_embedding_1</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="inputDim"/> or <paramref name="outputDim"/> is below 1,
    /// <paramref name="inputDim"/> is above <see cref="Embedding.MaxInputDim"/>, or <paramref name="logitSoftCap"/> is not a positive finite number.</exception>
    /// <exception cref="ArgumentException"><paramref name="reverseDtype"/> is neither null nor <c>"float32"</c>.</exception>
    public ReversibleEmbedding(int inputDim, int outputDim, bool tieWeights = true, Initializer? embeddingsInitializer = null, Regularizer? embeddingsRegularizer = null,
        bool maskZero = false, string? reverseDtype = null, double? logitSoftCap = null, string? name = null)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputDim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputDim, 1);
        if (inputDim > Embedding.MaxInputDim)
        {
            throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, string.Create(CultureInfo.InvariantCulture,
                $"Embedding ids arrive as float32 values, which hold every whole number only up to {Embedding.MaxInputDim:N0} (2^24); inputDim {inputDim:N0} has rows no id could reach. Split the vocabulary, or hash ids into at most {Embedding.MaxInputDim:N0} rows."));
        }

        if (reverseDtype is not (null or "float32"))
        {
            throw new ArgumentException($"ReversibleEmbedding computes its reverse projection in float32, the only type NeuralNet has; reverseDtype \"{reverseDtype}\" is not supported (expected null or \"float32\").", nameof(reverseDtype));
        }

        // Checked as float32, the value used: 1e39 would be infinity, 1e-50 would be 0.
        if (logitSoftCap is double cap && !((float)cap > 0 && float.IsFinite((float)cap)))
        {
            throw new ArgumentOutOfRangeException(nameof(logitSoftCap), cap, $"logitSoftCap must be a positive, finite number (the reverse output is tanh(logits / cap) · cap), or null for no cap. Received: logitSoftCap={Float32Hyperparameter.Format(cap)}.");
        }

        InputDim = inputDim;
        OutputDim = outputDim;
        TieWeights = tieWeights;
        EmbeddingsInitializer = embeddingsInitializer ?? new RandomUniform(-0.05, 0.05);
        EmbeddingsRegularizer = embeddingsRegularizer;
        MaskZero = maskZero;
        ReverseDtype = reverseDtype;
        LogitSoftCap = (float?)logitSoftCap;
    }

    /// <summary>The number of distinct ids (the vocabulary size).</summary>
    public int InputDim { get; }

    /// <summary>The length of each vector.</summary>
    public int OutputDim { get; }

    /// <summary>Whether the reverse projection uses the transpose of <see cref="Embeddings"/> (true) or <see cref="ReverseEmbeddings"/>.</summary>
    public bool TieWeights { get; }

    /// <summary>Initializes the embeddings, and the reverse embeddings when the weights are not tied.</summary>
    public Initializer EmbeddingsInitializer { get; }

    /// <summary>The embeddings' penalty, if any.</summary>
    public Regularizer? EmbeddingsRegularizer { get; }

    /// <summary>
    /// The projection the optimizer applies to the embeddings after each step (Keras' <c>embeddings_constraint</c>), or
    /// null. Set before the layer is built.
    /// </summary>
    public Constraint? EmbeddingsConstraint { get; init; }

    /// <summary>Whether id 0 is padding (Keras' <c>mask_zero</c>): the lookup then also outputs a mask, 0 where the id is 0.</summary>
    public bool MaskZero { get; }

    /// <summary>Keras' <c>reverse_dtype</c> as given: null or <c>"float32"</c>.</summary>
    public string? ReverseDtype { get; }

    /// <summary>The cap of the reverse output (tanh(logits / cap) · cap), or null for none, as float32 (the value given, rounded to float32).</summary>
    public float? LogitSoftCap { get; }

    /// <summary>The vectors (inputDim, outputDim).</summary>
    /// <exception cref="InvalidOperationException">The layer is not built.</exception>
    public Parameter Embeddings => _embeddings ?? throw new InvalidOperationException($"{Describe()} has no embeddings until it is built.");

    /// <summary>The reverse projection's own kernel (outputDim, inputDim) when <see cref="TieWeights"/> is false; null when tied.</summary>
    /// <exception cref="InvalidOperationException">The layer is not built.</exception>
    public Parameter? ReverseEmbeddings => IsBuilt ? _reverseEmbeddings : throw new InvalidOperationException($"{Describe()} has no weights until it is built.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "reversible_embedding";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("input_dim", InputDim)
        .Set("output_dim", OutputDim)
        .Set("embeddings_initializer", EmbeddingsInitializer)
        .Set("embeddings_regularizer", EmbeddingsRegularizer)
        .Set("embeddings_constraint", EmbeddingsConstraint)
        .Set("mask_zero", MaskZero)
        .Set("tie_weights", TieWeights)
        .Set("reverse_dtype", ReverseDtype)
        .Set("logit_soft_cap", LogitSoftCap);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static ReversibleEmbedding FromConfig(Config config)
    {
        int inputDim = config.GetInt32("input_dim", minimum: 1), outputDim = config.GetInt32("output_dim", minimum: 1);
        Config d = config.WithDefaults(new ReversibleEmbedding(inputDim, outputDim).GetConfig());
        string? reverseDtype = d.Contains("reverse_dtype") ? d.GetString("reverse_dtype") : null;
        if (reverseDtype is not (null or "float32"))
        {
            throw config.Error($"\"reverse_dtype\" is \"{reverseDtype}\", but NeuralNet computes in float32 only (expected null or \"float32\").");
        }

        float? cap = d.GetNullableSingle("logit_soft_cap");
        if (cap is float c && !(c > 0 && float.IsFinite(c)))
        {
            throw config.Error(string.Create(CultureInfo.InvariantCulture, $"\"logit_soft_cap\" is {c}; expected a positive number or null."));
        }

        return new(inputDim, outputDim, d.GetBoolean("tie_weights"), d.GetInitializer("embeddings_initializer"), d.GetRegularizer("embeddings_regularizer"),
            d.GetBoolean("mask_zero"), reverseDtype, cap, config.GetString("name"))
        {
            EmbeddingsConstraint = d.GetConstraint("embeddings_constraint"),
        };
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (_reverse && (inputShape.Rank < 1 || inputShape[-1] != OutputDim))
        {
            throw new ArgumentException($"{Describe()} called with reverse expects hidden states (None, ..., {OutputDim}) but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        // Keras' order of variables: embeddings, then reverse_embeddings (initialized as the embeddings, no penalty).
        _embeddings = AddParameter("embeddings", new TensorShape(InputDim, OutputDim), EmbeddingsInitializer, EmbeddingsRegularizer, constraint: EmbeddingsConstraint);
        if (!TieWeights)
        {
            _reverseEmbeddings = AddParameter("reverse_embeddings", new TensorShape(OutputDim, InputDim), EmbeddingsInitializer);
        }

        return _reverse ? new TensorShape([.. inputShape.Dimensions[..^1], InputDim]) : new TensorShape([.. inputShape.Dimensions, OutputDim]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        if (_reverse)
        {
            return ForwardReverse(input);
        }

        EmbeddingRows.CheckIds(input.AsReadOnlySpan(), InputDim, InputShape.ElementCount, this);
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        EmbeddingRows.Gather(input.AsReadOnlySpan(), Embeddings.Value.AsReadOnlySpan(), OutputDim, output.AsSpan());
        _input = input;
        return output;
    }

    // Not judged before a pass (a reverse call's copy is made apart).
    internal override bool MasksSurely(ReadOnlySpan<bool> inputsMasked) => false;

    /// <inheritdoc/>
    protected override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output)
    {
        // Keras masks only the lookup's output; the reverse call's logits carry no mask.
        if (!MaskZero || _reverse)
        {
            return null;
        }

        Tensor ids = inputs[0];
        Tensor mask = BatchView(ref _mask, ids.Shape[0], InputShape);
        EmbeddingRows.NonZeroMask(ids.AsReadOnlySpan(), mask.AsSpan());
        return mask;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        CheckForwardRan(_input, outputGradient);
        if (_reverse)
        {
            return BackwardReverse(outputGradient);
        }

        if (Embeddings.Trainable)
        {
            EmbeddingRows.ScatterAdd(_input!.AsReadOnlySpan(), outputGradient.AsReadOnlySpan(), OutputDim, Embeddings.Gradient.AsSpan());
        }

        // Ids are not differentiable: their gradient is zero.
        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        inputGradient.AsSpan().Clear();
        return inputGradient;
    }
}
