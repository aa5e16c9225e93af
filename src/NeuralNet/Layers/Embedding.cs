using System.Globalization;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Turns token ids into vectors (Keras' <c>Embedding</c>): input (batch, ...) of integer ids held in floats, output
/// (batch, ..., outputDim), row id of the embeddings matrix (inputDim, outputDim) for each id.
/// </summary>
/// <remarks>
/// Ids must be whole numbers in [0, inputDim); anything else fails naming the sample and the position. In the backward
/// pass the rows of repeated ids accumulate and ids not seen get no gradient. The ids get no gradient (they are not
/// differentiable), so an Embedding is a model's first layer. With LoRA (<see cref="EnableLora"/>) the embeddings are frozen
/// and each id's row is that of <c>embeddings + scale · A·B</c>, scale = <c>LoraAlpha / LoraRank</c>, computed for the ids
/// only: <c>embeddings[id] + scale · A[id]·B</c>; backward, <c>dB = scale · A[ids]ᵀ·dOut</c> and A's rows of the ids get
/// <c>scale · dOut·Bᵀ</c> (<see cref="LowRankPass"/>). No merged table nor its gradient is formed and the products cost the
/// batch's rows, but A is (inputDim, rank): each training step still clears A's whole gradient and the optimizer updates all
/// of A, O(inputDim · rank) per step.
/// </remarks>
/// <example><c>model.Add(new Embedding(10_000, 64));</c></example>
public sealed class Embedding : Layer, IKernelLayer, ILoraLayer
{
    private readonly LoraSlot _lora = new(nameof(Embedding), "embeddings");
    private LowRankPass? _loraPass;
    private Parameter? _embeddings;
    private Tensor? _output;
    private Tensor? _input;
    private Tensor? _inputGradient;
    private Tensor? _mask;

    /// <summary>
    /// The largest vocabulary an embedding takes, 2^24: ids come in float32 tensors, which hold every whole number only up
    /// to that (Keras' integer ids have no such limit).
    /// </summary>
    public const int MaxInputDim = 1 << 24;

    /// <summary>Creates an embedding layer.</summary>
    /// <param name="inputDim">The number of distinct ids (the vocabulary size): ids run from 0 to inputDim − 1.</param>
    /// <param name="outputDim">The length of each vector.</param>
    /// <param name="embeddingsInitializer">Initializes the vectors; RandomUniform(−0.05, 0.05) when null, as Keras.</param>
    /// <param name="embeddingsRegularizer">The vectors' penalty, if any.</param>
    /// <param name="maskZero">Whether id 0 is padding that the layers after it skip (Keras' <c>mask_zero</c>).</param>
    /// <param name="name">The layer's name; null to have the model name it <c>embedding</c>, <c>embedding_1</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="inputDim"/> or <paramref name="outputDim"/> is below 1, or
    /// <paramref name="inputDim"/> is above <see cref="MaxInputDim"/>.</exception>
    public Embedding(int inputDim, int outputDim, Initializer? embeddingsInitializer = null, Regularizer? embeddingsRegularizer = null, bool maskZero = false, string? name = null)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputDim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputDim, 1);
        if (inputDim > MaxInputDim)
        {
            throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, string.Create(CultureInfo.InvariantCulture,
                $"Embedding ids arrive as float32 values, which hold every whole number only up to {MaxInputDim:N0} (2^24); inputDim {inputDim:N0} has rows no id could reach. Split the vocabulary, or hash ids into at most {MaxInputDim:N0} rows."));
        }

        InputDim = inputDim;
        OutputDim = outputDim;
        EmbeddingsInitializer = embeddingsInitializer ?? new RandomUniform(-0.05, 0.05);
        EmbeddingsRegularizer = embeddingsRegularizer;
        MaskZero = maskZero;
    }

    /// <summary>The number of distinct ids.</summary>
    public int InputDim { get; }

    /// <summary>The length of each vector.</summary>
    public int OutputDim { get; }

    /// <summary>Initializes the vectors.</summary>
    public Initializer EmbeddingsInitializer { get; }

    /// <summary>The vectors' penalty, if any.</summary>
    public Regularizer? EmbeddingsRegularizer { get; }

    /// <summary>
    /// The projection the optimizer applies to the vectors after each step (Keras' <c>embeddings_constraint</c>, such as
    /// <c>new Embedding(1000, 64) { EmbeddingsConstraint = new MaxNorm(1f, axis: 1) }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? EmbeddingsConstraint { get; init; }

    /// <summary>
    /// Whether id 0 is padding (Keras' <c>mask_zero</c>): the layer then also outputs a mask, 0 where the id is 0 and
    /// 1 elsewhere, which the layers after it honour (<see cref="Layer.OutputMask"/>). Id 0 is still looked up.
    /// </summary>
    public bool MaskZero { get; }

    /// <summary>The vectors (inputDim, outputDim).</summary>
    public Parameter Embeddings => _embeddings ?? throw new InvalidOperationException($"{Describe()} has no embeddings until it is built.");

    // Keras' SpectralNormalization normalizes an Embedding's embeddings as other layers' kernels.
    Parameter IKernelLayer.Kernel => Embeddings;

    /// <inheritdoc/>
    /// <remarks>Set it before the layer is built (Keras' <c>lora_rank</c> argument) to have the build enable LoRA, with <see cref="LoraAlpha"/>.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value below 1.</exception>
    public int? LoraRank { get => _lora.Rank; init => _lora.Rank = value; }

    /// <inheritdoc/>
    /// <remarks>Set it before the layer is built (Keras' <c>lora_alpha</c> argument), with <see cref="LoraRank"/>.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value that is not finite.</exception>
    public float? LoraAlpha { get => _lora.Alpha; init => _lora.Alpha = value; }

    /// <inheritdoc/>
    public bool LoraEnabled => _lora.Enabled;

    /// <summary>Keras' <c>lora_embeddings_a</c> (inputDim, rank); null until LoRA is enabled.</summary>
    public Parameter? LoraEmbeddingsA => _lora.A;

    /// <summary>Keras' <c>lora_embeddings_b</c> (rank, outputDim); null until LoRA is enabled.</summary>
    public Parameter? LoraEmbeddingsB => _lora.B;

    Parameter ILoraLayer.LoraTarget => Embeddings;

    Parameter? ILoraLayer.LoraA => _lora.A;

    Parameter? ILoraLayer.LoraB => _lora.B;

    /// <inheritdoc/>
    /// <remarks>A model that holds the layer trains A and B from its next step on, without compiling again.</remarks>
    public void EnableLora(int rank, double? alpha = null, Initializer? aInitializer = null, Initializer? bInitializer = null) =>
        _lora.Enable(this, _embeddings, EmbeddingsConstraint, rank, alpha, aInitializer, bInitializer);

    /// <inheritdoc/>
    public Tensor GetMergedWeight() => _lora.MergedWeight(Embeddings);

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "embedding";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("input_dim", InputDim)
        .Set("output_dim", OutputDim)
        .Set("embeddings_initializer", EmbeddingsInitializer)
        .Set("embeddings_regularizer", EmbeddingsRegularizer)
        .Set("embeddings_constraint", EmbeddingsConstraint)
        .Set("mask_zero", MaskZero)
        .SetLora(LoraRank, LoraAlpha);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Embedding FromConfig(Config config)
    {
        int inputDim = config.GetInt32("input_dim", minimum: 1), outputDim = config.GetInt32("output_dim", minimum: 1);
        var (loraRank, loraAlpha) = LoraSettings.Read(config);
        Config d = config.WithDefaults(new Embedding(inputDim, outputDim).GetConfig());
        return new(inputDim, outputDim, d.GetInitializer("embeddings_initializer"), d.GetRegularizer("embeddings_regularizer"), d.GetBoolean("mask_zero"), config.GetString("name"))
        {
            EmbeddingsConstraint = d.GetConstraint("embeddings_constraint"),
            LoraRank = loraRank,
            LoraAlpha = loraAlpha,
        };
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        _embeddings = AddParameter("embeddings", new TensorShape(InputDim, OutputDim), EmbeddingsInitializer, EmbeddingsRegularizer, constraint: EmbeddingsConstraint);
        _lora.OnBuild(this, _embeddings);
        return new TensorShape([.. inputShape.Dimensions, OutputDim]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0];
        EmbeddingRows.CheckIds(input.AsReadOnlySpan(), InputDim, InputShape.ElementCount, this);
        Tensor output = BatchView(ref _output, batch, OutputShape);
        EmbeddingRows.Gather(input.AsReadOnlySpan(), Embeddings.Value.AsReadOnlySpan(), OutputDim, output.AsSpan());
        if (_lora.Adaptation is LowRankAdaptation lora)
        {
            // Keras gathers from embeddings + scale · A·B; the same rows, for the ids only: += scale · A[ids]·B.
            (_loraPass ??= new LowRankPass()).ForwardRows(lora, input.AsReadOnlySpan(), output.AsSpan());
        }

        _input = input;
        return output;
    }

    /// <inheritdoc/>
    internal override bool MasksSurely(ReadOnlySpan<bool> inputsMasked) => MaskZero;

    /// <inheritdoc/>
    protected override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output)
    {
        if (!MaskZero)
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
        if (_input is null || _input.Shape[0] != outputGradient.Shape[0])
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size.");
        }

        _lora.CheckForwardRan(this, _loraPass, outputGradient);

        LowRankAdaptation? lora = _lora.Adaptation;
        if (lora is null)
        {
            EmbeddingRows.ScatterAdd(_input.AsReadOnlySpan(), outputGradient.AsReadOnlySpan(), OutputDim, Embeddings.Gradient.AsSpan());
        }
        else if (lora.Trainable)
        {
            // dB from the ids' rows of A; A's rows of the ids (repeated ids accumulate) from dOut·Bᵀ; ids not seen get nothing.
            _loraPass!.Backward(lora, outputGradient.AsReadOnlySpan());
            _loraPass.ScatterA(lora, _input.AsReadOnlySpan());
        }

        // Ids are not differentiable: their gradient is zero.
        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        inputGradient.AsSpan().Clear();
        return inputGradient;
    }
}
