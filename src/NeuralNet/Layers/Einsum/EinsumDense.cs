using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Keras' <c>EinsumDense</c>: <c>output = activation(einsum(equation, input, kernel) + bias)</c>, a dense layer of any
/// dimensionality. <c>new EinsumDense("ab,bc-&gt;ac", 64, biasAxes: "c")</c> is <c>Dense(64)</c>;
/// <c>new EinsumDense("abc,cde-&gt;abde", [null, 8, 16], biasAxes: "de")</c> projects a sequence into 8 heads of 16, as
/// Keras' attention layers do.
/// </summary>
/// <remarks>
/// <para>The equation has one of Keras' three forms: <c>ab,bc-&gt;ac</c>, <c>...b,bc-&gt;...c</c> or
/// <c>ab...,bc-&gt;ac...</c>. The input's first label (or the ellipsis' first axis) is the batch axis: it must stay the
/// output's first and cannot be a kernel axis. A kernel axis takes its size from the input when the input has its label,
/// otherwise from <see cref="PartialOutputShape"/>. The bias, when <see cref="BiasAxes"/> names output letters, has
/// Keras' shape: the output from its first biased axis on, 1 on the others.</para>
/// <para>The product runs as GEMMs (<see cref="EinsumContraction"/>): equations whose operands are already in order, as
/// Dense-like and attention projections are, use the input, kernel and output in place; others copy them into order first.
/// With LoRA (<see cref="EnableLora"/>) the kernel is frozen and the product runs on
/// <c>kernel + (LoraAlpha / LoraRank) · A·B</c>, A of the kernel's shape with its last axis replaced by the rank, merged once
/// per training pass and once per prediction (its later batches reuse the merge). Unlike Dense's, the product is not split
/// into a low-rank one: the equation may contract the kernel's last axis or permute the operands, where <c>(input·A)·B</c> is
/// no longer a pair of plain products. Quantization (Keras' <c>quantization_config</c>) is not supported and is refused when a
/// configuration asks for it.</para>
/// </remarks>
public sealed class EinsumDense : Layer, IKernelLayer, ILoraLayer
{
    private readonly LoraSlot _lora = new(nameof(EinsumDense), "kernel");
    private Tensor? _loraMerged;
    private long _loraMergedPass;
    private Tensor? _loraGradient;
    private readonly int?[] _partialOutputShape;
    private Parameter? _kernel;
    private Parameter? _bias;
    private EinsumEquation? _resolved;
    private EinsumContraction? _contraction;
    private Tensor? _lastInput, _preActivation, _output, _preActivationGradient, _inputGradient;

    // The activation (on the layer itself; a copy reads its primary's, see Activation).
    private ActivationFunction _activation = ActivationFunction.Linear;

    // The activation the last forward pass applied, which its backward pass differentiates through.
    private ActivationFunction _ranActivation = ActivationFunction.Linear;
    private Tensor? _aScratch, _cScratch;
    private float[]? _bScratch;
    private TensorShape _aSample, _cSample;
    private int _rowLength;

    /// <summary>Creates an EinsumDense layer whose output has one axis after the batch (or the ellipsis).</summary>
    /// <param name="equation">Keras' equation, such as <c>ab,bc-&gt;ac</c> or <c>...b,bc-&gt;...c</c>.</param>
    /// <param name="outputShape">The size of that one output axis.</param>
    /// <param name="activation">The activation; null for none (linear).</param>
    /// <param name="biasAxes">The output letters the bias spans, or null for no bias (Keras' default).</param>
    /// <param name="kernelInitializer">How the kernel starts; null for <see cref="GlorotUniform"/>.</param>
    /// <param name="biasInitializer">How the bias starts; null for <see cref="Zeros"/>.</param>
    /// <param name="kernelRegularizer">A penalty on the kernel, or null.</param>
    /// <param name="biasRegularizer">A penalty on the bias, or null.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>einsum_dense</c>, ...</param>
    /// <exception cref="ArgumentException">The equation or the bias axes are malformed (the message says how).</exception>
    public EinsumDense(string equation, int outputShape, ActivationFunction? activation = null, string? biasAxes = null,
        Initializer? kernelInitializer = null, Initializer? biasInitializer = null, Regularizer? kernelRegularizer = null,
        Regularizer? biasRegularizer = null, string? name = null)
        : this(equation, [outputShape], activation, biasAxes, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, name)
    {
    }

    /// <summary>Creates an EinsumDense layer.</summary>
    /// <param name="equation">Keras' equation, such as <c>abc,cde-&gt;abde</c>.</param>
    /// <param name="outputShape">
    /// Keras' <c>output_shape</c>: the output's sizes without the batch axis and the elided ones, null where the input gives
    /// the size (an axis the input shares); an empty list for an output of the batch axis alone.
    /// </param>
    /// <param name="activation">The activation; null for none (linear).</param>
    /// <param name="biasAxes">The output letters the bias spans, or null for no bias (Keras' default).</param>
    /// <param name="kernelInitializer">How the kernel starts; null for <see cref="GlorotUniform"/>.</param>
    /// <param name="biasInitializer">How the bias starts; null for <see cref="Zeros"/>.</param>
    /// <param name="kernelRegularizer">A penalty on the kernel, or null.</param>
    /// <param name="biasRegularizer">A penalty on the bias, or null.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>einsum_dense</c>, ...</param>
    /// <exception cref="ArgumentException">The equation, the bias axes or a size are malformed (the message says how).</exception>
    public EinsumDense(string equation, IReadOnlyList<int?> outputShape, ActivationFunction? activation = null, string? biasAxes = null,
        Initializer? kernelInitializer = null, Initializer? biasInitializer = null, Regularizer? kernelRegularizer = null,
        Regularizer? biasRegularizer = null, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(equation);
        ArgumentNullException.ThrowIfNull(outputShape);
        EinsumEquation.CheckForm(equation, biasAxes);
        for (int i = 0; i < outputShape.Count; i++)
        {
            if (outputShape[i] is int size && size < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(outputShape), size, $"EinsumDense output_shape[{i}] is {size}; sizes must be positive (or null where the input gives them).");
            }
        }

        Equation = equation;
        _partialOutputShape = [.. outputShape];
        BiasAxes = biasAxes;
        _activation = activation ?? ActivationFunction.Linear;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
        BiasInitializer = biasInitializer ?? Zeros.Instance;
        KernelRegularizer = kernelRegularizer;
        BiasRegularizer = biasRegularizer;
    }

    /// <summary>The einsum equation.</summary>
    public string Equation { get; }

    /// <summary>Keras' <c>output_shape</c> as given: the output's sizes without the batch and elided axes, null where inferred.</summary>
    public IReadOnlyList<int?> PartialOutputShape => _partialOutputShape;

    /// <summary>The output letters the bias spans, or null when the layer has no bias.</summary>
    public string? BiasAxes { get; }

    /// <summary>
    /// The activation applied to the output (<see cref="Linear"/> when none was given). Settable before or after the layer is built, as Keras'
    /// <c>layer.activation = ...</c> (transfer learning drops a final softmax this way): the next forward pass applies it
    /// (the layer's every call in a model, and the copies a model runs for other lengths or concurrent predictions), the
    /// next training step differentiates through it (a softmax newly set or removed is paired with a cross-entropy loss, or
    /// no longer, from that step on), and the layer's configuration saves it. Set it between passes, not while another
    /// thread runs the model.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null (for no activation, set <see cref="ActivationFunction.Linear"/>).</exception>
    public ActivationFunction Activation
    {
        get => ((EinsumDense)Primary)._activation;
        set
        {
            if (value is null)
            {
                throw new ArgumentNullException(nameof(value), $"{Describe()}: the activation cannot be null; set ActivationFunction.Linear for none.");
            }

            ((EinsumDense)Primary)._activation = value;
        }
    }

    /// <summary>The kernel's initializer.</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>The bias's initializer.</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The kernel's penalty, or null.</summary>
    public Regularizer? KernelRegularizer { get; }

    /// <summary>The bias's penalty, or null.</summary>
    public Regularizer? BiasRegularizer { get; }

    /// <summary>The projection the optimizer applies to the kernel after each step (Keras' <c>kernel_constraint</c>), or null. Set before the layer is built.</summary>
    public Constraint? KernelConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the bias after each step (Keras' <c>bias_constraint</c>), or null. Set before the layer is built.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>The kernel, shaped by the equation. Throws until the layer is built.</summary>
    public Parameter Kernel => _kernel ?? throw new InvalidOperationException($"{this} has no kernel until it is built.");

    /// <summary>The bias; null when <see cref="BiasAxes"/> is null. Throws until the layer is built.</summary>
    public Parameter? Bias => BiasAxes is null ? null : _bias ?? throw new InvalidOperationException($"{this} has no bias until it is built.");

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

    /// <summary>Keras' <c>lora_kernel_a</c>: the kernel's shape with its last axis replaced by the rank; null until LoRA is enabled.</summary>
    public Parameter? LoraKernelA => _lora.A;

    /// <summary>Keras' <c>lora_kernel_b</c> (rank, the kernel's last axis); null until LoRA is enabled.</summary>
    public Parameter? LoraKernelB => _lora.B;

    Parameter ILoraLayer.LoraTarget => Kernel;

    Parameter? ILoraLayer.LoraA => _lora.A;

    Parameter? ILoraLayer.LoraB => _lora.B;

    /// <inheritdoc/>
    /// <remarks>A model that holds the layer trains A and B from its next step on, without compiling again.</remarks>
    public void EnableLora(int rank, double? alpha = null, Initializer? aInitializer = null, Initializer? bInitializer = null) =>
        _lora.Enable(this, _kernel, KernelConstraint, rank, alpha, aInitializer, bInitializer);

    /// <inheritdoc/>
    public Tensor GetMergedWeight() => _lora.MergedWeight(Kernel);

    /// <summary>How many times LoRA's kernel was merged (all copies): tests check that a prediction merges once.</summary>
    internal long LoraMergeCount => _lora.Adaptation?.MergeCount ?? 0;

    // The kernel the products use: the frozen kernel plus LoRA's delta when enabled.
    private ReadOnlySpan<float> ForwardKernel() => _lora.Adaptation is LowRankAdaptation lora
        ? lora.MergeOncePerPrediction(ref _loraMerged, ref _loraMergedPass)
        : _kernel!.Value.AsReadOnlySpan();

    /// <summary>The equation with the ellipsis written out as letters for the built input (batch axis first). Throws until the layer is built.</summary>
    public string ExplicitEquation => _resolved?.Explicit ?? throw new InvalidOperationException($"{this} has no resolved equation until it is built.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "einsum_dense";

    // How the product runs, for tests: which operands are used in place.
    internal EinsumContraction Contraction => _contraction ?? throw new InvalidOperationException($"{this} has no contraction until it is built.");

    /// <inheritdoc/>
    public override bool EndsWithSoftmax => Activation is Activations.Softmax;

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        EinsumEquation resolved = EinsumEquation.Resolve(Equation, BiasAxes, inputShape, _partialOutputShape, Describe());
        _resolved = resolved;
        _contraction = new EinsumContraction(resolved, inputShape);
        _kernel = AddParameter("kernel", new TensorShape(resolved.KernelShape), KernelInitializer, KernelRegularizer, constraint: KernelConstraint);
        if (resolved.BiasShape is int[] biasShape)
        {
            _bias = AddParameter("bias", new TensorShape(biasShape), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        _lora.OnBuild(this, _kernel);
        _aSample = new TensorShape(_contraction.SharedCount * _contraction.RowsPerSample * _contraction.Depth);
        _cSample = new TensorShape(_contraction.SharedCount * _contraction.RowsPerSample * _contraction.Columns);
        _rowLength = resolved.OutputSampleShape.Length == 0 ? 1 : resolved.OutputSampleShape[^1];
        if (!_contraction.KernelInPlace)
        {
            _bScratch = new float[_contraction.SharedCount * _contraction.Depth * _contraction.Columns];
        }

        return new TensorShape(resolved.OutputSampleShape);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        EinsumContraction contraction = _contraction!;
        int batch = input.Shape[0];
        Tensor z = BatchView(ref _preActivation, batch, OutputShape);
        contraction.Forward(batch, input.AsReadOnlySpan(), ForwardKernel(), z.AsSpan(), AScratch(batch), _bScratch, CScratch(batch));
        if (_bias is not null)
        {
            contraction.AddBias(batch, _bias.Value.AsReadOnlySpan(), z.AsSpan());
        }

        Tensor output = z;
        ActivationFunction activation = Activation;
        _ranActivation = activation;
        if (activation is not Linear)
        {
            output = BatchView(ref _output, batch, OutputShape);
            activation.Forward(z.AsReadOnlySpan(), output.AsSpan(), _rowLength);
        }

        _lastInput = input;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        CheckForwardRan(_lastInput, outputGradient);
        _lora.CheckForwardRan(this, _loraMerged, outputGradient);
        Tensor dz = outputGradient;
        if (_ranActivation is not Linear)
        {
            dz = BatchView(ref _preActivationGradient, outputGradient.Shape[0], OutputShape);
            _ranActivation.Backward(_preActivation!.AsReadOnlySpan()[..dz.Length], _output!.AsReadOnlySpan()[..dz.Length], outputGradient.AsReadOnlySpan(), dz.AsSpan(), _rowLength);
        }

        return BackwardFromPreActivation(dz, outputGradient);
    }

    /// <inheritdoc/>
    protected override Tensor OnBackwardFromLogitsGradient(Tensor logitsGradient)
    {
        CheckForwardRan(_lastInput, logitsGradient);
        _lora.CheckForwardRan(this, _loraMerged, logitsGradient);
        return BackwardFromPreActivation(logitsGradient, logitsGradient);
    }

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        var shape = new JsonArray();
        foreach (int? size in _partialOutputShape)
        {
            shape.Add((JsonNode?)(size is int s ? JsonValue.Create(s) : null));
        }

        return base.GetConfig()
            .Set("output_shape", shape)
            .Set("equation", Equation)
            .Set("activation", Activation)
            .Set("bias_axes", BiasAxes)
            .Set("kernel_initializer", KernelInitializer)
            .Set("bias_initializer", BiasInitializer)
            .Set("kernel_regularizer", KernelRegularizer)
            .Set("bias_regularizer", BiasRegularizer)
            .Set("kernel_constraint", KernelConstraint)
            .Set("bias_constraint", BiasConstraint)
            .SetLora(LoraRank, LoraAlpha);
    }

    /// <summary>Keras' <c>from_config</c>: <c>output_shape</c> may be one integer or a list holding nulls.</summary>
    internal static EinsumDense FromConfig(Config config)
    {
        foreach (string unsupported in new[] { "quantization_config", "gptq_unpacked_column_size" })
        {
            if (config.Contains(unsupported))
            {
                throw config.Error($"\"{unsupported}\" is set; NeuralNet's EinsumDense has no quantization. Dequantize the kernel in Keras before saving.");
            }
        }

        var (loraRank, loraAlpha) = LoraSettings.Read(config);

        string equation = config.GetString("equation");
        int?[] outputShape = ReadOutputShape(config);
        Config d = config.WithDefaults(new EinsumDense(equation, outputShape).GetConfig());
        string? biasAxes = d.Contains("bias_axes") ? d.GetString("bias_axes") : null;
        return new(equation, outputShape, d.GetActivation("activation"), biasAxes, d.GetInitializer("kernel_initializer"), d.GetInitializer("bias_initializer"),
            d.GetRegularizer("kernel_regularizer"), d.GetRegularizer("bias_regularizer"), config.GetString("name"))
        {
            KernelConstraint = d.GetConstraint("kernel_constraint"),
            BiasConstraint = d.GetConstraint("bias_constraint"),
            LoraRank = loraRank,
            LoraAlpha = loraAlpha,
        };
    }

    private static int?[] ReadOutputShape(Config config)
    {
        JsonNode node = config.GetNode("output_shape") ?? throw config.Error("\"output_shape\" is missing.");
        if (node is JsonValue single)
        {
            return [ReadSize(single, config, "\"output_shape\"")];
        }

        if (node is not JsonArray array)
        {
            throw config.Error($"\"output_shape\" must be an integer or a list of integers and nulls but is {node.ToJsonString()}.");
        }

        var shape = new int?[array.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = array[i] is JsonNode item ? ReadSize(item, config, string.Create(CultureInfo.InvariantCulture, $"\"output_shape\"[{i}]")) : null;
        }

        return shape;
    }

    // The JSON text, not the value's CLR type: a config made in memory holds ints, one read from a file JsonElements.
    private static int ReadSize(JsonNode node, Config config, string where) =>
        node is JsonValue && long.TryParse(node.ToJsonString(), NumberStyles.None, CultureInfo.InvariantCulture, out long size) && size is >= 1 and <= int.MaxValue
            ? (int)size
            : throw config.Error($"{where} must be a positive integer or null but is {node.ToJsonString()}.");

    private Tensor BackwardFromPreActivation(Tensor dz, Tensor outputGradient)
    {
        EinsumContraction contraction = _contraction!;
        int batch = dz.Shape[0];
        ReadOnlySpan<float> dc = contraction.OutputGradientAsC(batch, dz.AsReadOnlySpan(), CScratch(batch));
        if (_bias is { Trainable: true })
        {
            contraction.AccumulateBiasGradient(batch, dz.AsReadOnlySpan(), _bias.Gradient.AsSpan());
        }

        // A frozen layer's gradients are never read, so it only passes the gradient on.
        Parameter kernel = _kernel!;
        LowRankAdaptation? lora = _lora.Adaptation;
        if (lora is { Trainable: true })
        {
            Span<float> weightGradient = LowRankAdaptation.GradientBuffer(ref _loraGradient, kernel.Shape);
            contraction.KernelGradient(batch, _lastInput!.AsReadOnlySpan(), dc, weightGradient, 0f, AScratch(batch), _bScratch);
            lora.AccumulateGradients(weightGradient);
        }
        else if (lora is null && kernel.Trainable)
        {
            Span<float> kernelGradient = kernel.GradientForProduct(out float beta);
            contraction.KernelGradient(batch, _lastInput!.AsReadOnlySpan(), dc, kernelGradient, beta, AScratch(batch), _bScratch);
        }

        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, batch, InputShape);
        // The kernel the forward pass used (LoRA's merge of it, unchanged since).
        ReadOnlySpan<float> forwardKernel = lora is null ? kernel.Value.AsReadOnlySpan() : _loraMerged!.AsReadOnlySpan();
        contraction.InputGradient(batch, dc, forwardKernel, inputGradient.AsSpan(), AScratch(batch), _bScratch);
        return inputGradient;
    }

    private Span<float> AScratch(int batch) => _contraction!.InputInPlace
        ? default
        : BatchView(ref _aScratch, batch, _aSample).AsSpan();

    private Span<float> CScratch(int batch) => _contraction!.OutputInPlace
        ? default
        : BatchView(ref _cScratch, batch, _cSample).AsSpan();
}
