using System.Numerics.Tensors;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A fully connected layer: <c>output = activation(input · kernel + bias)</c>.
/// </summary>
/// <remarks>
/// <para>Shapes: input (batch, ..., inputs) -&gt; output (batch, ..., units); kernel (inputs, units), bias (units). As in
/// Keras, the layer applies to the last axis of inputs of any rank: (batch, time, features) -&gt; (batch, time, units),
/// every leading position sharing the kernel. Put a <see cref="Flatten"/> before a Dense that should see whole images.</para>
/// <para>Forward is one matrix product (through the library's single GEMM entry point) followed by one pass
/// over each output row that adds the bias and applies the activation while the row is in cache. Backward
/// accumulates <c>dKernel += inputᵀ · dZ</c> and <c>dBias += column sums of dZ</c>, and computes <c>dInput = dZ · kernelᵀ</c> only when
/// <see cref="Layer.ComputesInputGradient"/> is true.</para>
/// <para>With LoRA (<see cref="EnableLora"/>, or <see cref="LoraRank"/> set before the layer is built) the kernel is frozen and
/// the layer computes with the effective kernel <c>kernel + scale · A·B</c>, scale = <c>LoraAlpha / LoraRank</c>, in its
/// low-rank form: <c>Z = input·kernel + scale · (input·A)·B</c>; backward, <c>dA = scale · inputᵀ·(dZ·Bᵀ)</c>,
/// <c>dB = scale · (input·A)ᵀ·dZ</c> and <c>dInput = dZ·kernelᵀ + scale · (dZ·Bᵀ)·Aᵀ</c> (<see cref="LowRankPass"/>): no merged
/// kernel and no kernel-sized gradient, in training or in prediction.</para>
/// </remarks>
public sealed class Dense : Layer, IKernelLayer, ILoraLayer
{
    private readonly LoraSlot _lora = new(nameof(Dense), "kernel");
    private LowRankPass? _loraPass;
    private Parameter? _kernel;
    private Parameter? _bias;
    private Tensor? _lastInput;
    private Tensor? _preActivation;

    // The activation (on the layer itself; a copy reads its primary's, see Activation).
    private ActivationFunction _activation = ActivationFunction.Linear;

    // The activation the last forward pass applied, which its backward pass differentiates through.
    private ActivationFunction _ranActivation = ActivationFunction.Linear;

    // Whether the last forward pass ran the fused GEMM (bias and ReLU or nothing in the product): it kept no pre-activation.
    private bool _ranFused;
    private Tensor? _output;
    private Tensor? _preActivationGradient;
    private Tensor? _inputGradient;
    private Tensor? _lastOutput;
    private PackedB? _packedKernel;
    private long _firstBatchPass;
    private long _packedPass;

    /// <summary>Creates a fully connected layer.</summary>
    /// <param name="units">The number of outputs per sample, at least 1.</param>
    /// <param name="activation">The activation applied to the output; null for none (linear), as in Keras.</param>
    /// <param name="kernelInitializer">How the kernel starts; null for <see cref="GlorotUniform"/> (Keras' default).</param>
    /// <param name="biasInitializer">How the bias starts; null for <see cref="Zeros"/>.</param>
    /// <param name="kernelRegularizer">A penalty on the kernel, or null.</param>
    /// <param name="biasRegularizer">A penalty on the bias, or null.</param>
    /// <param name="useBias">Whether the layer has a bias.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>dense</c>, <c>dense_1</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="units"/> is below 1.</exception>
    public Dense(
        int units,
        ActivationFunction? activation = null,
        Initializer? kernelInitializer = null,
        Initializer? biasInitializer = null,
        Regularizer? kernelRegularizer = null,
        Regularizer? biasRegularizer = null,
        bool useBias = true,
        string? name = null)
        : base(name)
    {
        if (units <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(units), units, $"Dense expects a positive number of units but got units={units}.");
        }

        Units = units;
        _activation = activation ?? ActivationFunction.Linear;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
        BiasInitializer = biasInitializer ?? Zeros.Instance;
        KernelRegularizer = kernelRegularizer;
        BiasRegularizer = biasRegularizer;
        UseBias = useBias;
    }

    /// <summary>The number of outputs per sample.</summary>
    public int Units { get; }

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
        get => ((Dense)Primary)._activation;
        set
        {
            if (value is null)
            {
                throw new ArgumentNullException(nameof(value), $"{Describe()}: the activation cannot be null; set ActivationFunction.Linear for none.");
            }

            ((Dense)Primary)._activation = value;
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

    /// <summary>
    /// The projection the optimizer applies to the kernel after each step (Keras' <c>kernel_constraint</c>, such as
    /// <c>new Dense(64) { KernelConstraint = new MaxNorm(3) }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? KernelConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the bias after each step (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>Whether the layer has a bias.</summary>
    public bool UseBias { get; }

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

    /// <summary>Keras' <c>lora_kernel_a</c> (inputs, rank); null until LoRA is enabled.</summary>
    public Parameter? LoraKernelA => _lora.A;

    /// <summary>Keras' <c>lora_kernel_b</c> (rank, units); null until LoRA is enabled.</summary>
    public Parameter? LoraKernelB => _lora.B;

    Parameter ILoraLayer.LoraTarget => Kernel;

    Parameter? ILoraLayer.LoraA => _lora.A;

    Parameter? ILoraLayer.LoraB => _lora.B;

    /// <summary>The kernel, (inputs, units). Throws until the layer is built.</summary>
    public Parameter Kernel => _kernel ?? throw new InvalidOperationException($"{this} has no kernel until it is built.");

    /// <summary>The bias, (units); null when <see cref="UseBias"/> is false. Throws until the layer is built.</summary>
    public Parameter? Bias => !UseBias ? null : _bias ?? throw new InvalidOperationException($"{this} has no bias until it is built.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "dense";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override bool EndsWithSoftmax => Activation is Activations.Softmax;

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank == 0)
        {
            throw new ArgumentException($"{Describe()} expects input (None, ..., features) but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        _kernel = AddParameter("kernel", new TensorShape(inputShape[-1], Units), KernelInitializer, KernelRegularizer, constraint: KernelConstraint);
        if (UseBias)
        {
            _bias = AddParameter("bias", new TensorShape(Units), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        _lora.OnBuild(this, _kernel);
        int[] output = inputShape.Dimensions.ToArray();
        output[^1] = Units;
        return new TensorShape(output);
    }

    /// <inheritdoc/>
    /// <remarks>A model that holds the layer trains A and B from its next step on, without compiling again.</remarks>
    public void EnableLora(int rank, double? alpha = null, Initializer? aInitializer = null, Initializer? bInitializer = null) =>
        _lora.Enable(this, _kernel, KernelConstraint, rank, alpha, aInitializer, bInitializer);

    /// <inheritdoc/>
    public Tensor GetMergedWeight() => _lora.MergedWeight(Kernel);

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        // input (B, ..., I) as rows (R, I), kernel (I, U) -> Z (R, U); output = activation(Z + bias)
        int batch = input.Shape[0], inputs = InputShape[-1], units = Units, rows = input.Length / inputs;
        TensorShape sampleShape = OutputShape;
        LowRankAdaptation? lora = _lora.Adaptation;
        ActivationFunction activation = Activation;
        _ranActivation = activation;
        bool hasActivation = activation is not Linear;
        _ranFused = UseBias && activation is Relu or Linear && lora is null;
        if (_ranFused)
        {
            // Bias and ReLU applied by the GEMM on each output tile while it is in cache. ReLU's backward pass reads
            // the mask from the output, so no separate pre-activation is kept.
            Tensor fused = BatchView(ref _output, batch, sampleShape);
            Gemm.Multiply(false, false, rows, units, inputs, input.AsReadOnlySpan(), inputs, _kernel!.Value.AsReadOnlySpan(), units,
                _bias!.Value.AsReadOnlySpan(), activation is Relu ? GemmActivation.Relu : GemmActivation.None, fused.AsSpan(), units,
                training ? null : KernelPackedForThisPass());
            _lastInput = input;
            _lastOutput = fused;
            return fused;
        }

        Tensor z = BatchView(ref _preActivation, batch, sampleShape);
        Tensor output = hasActivation ? BatchView(ref _output, batch, sampleShape) : z;
        Gemm.Multiply(false, false, rows, units, inputs, 1f, input.AsReadOnlySpan(), inputs, _kernel!.Value.AsReadOnlySpan(), units, 0f, z.AsSpan(), units,
            training ? null : KernelPackedForThisPass());
        if (lora is not null)
        {
            // Z += scale · (input·A)·B, before the bias and the activation: the merged kernel's product without the merge.
            (_loraPass ??= new LowRankPass()).Forward(lora, input.AsReadOnlySpan(), rows, z.AsSpan());
        }

        Span<float> zSpan = z.AsSpan();
        Span<float> outSpan = output.AsSpan();
        ReadOnlySpan<float> bias = UseBias ? _bias!.Value.AsReadOnlySpan() : default;
        if (UseBias || hasActivation)
        {
            for (int start = 0; start < zSpan.Length; start += units)
            {
                Span<float> zRow = zSpan.Slice(start, units);
                if (UseBias)
                {
                    TensorPrimitives.Add(zRow, bias, zRow);
                }

                if (hasActivation)
                {
                    activation.Forward(zRow, outSpan.Slice(start, units), units);
                }
            }
        }

        _lastInput = input;
        _lastOutput = output;
        return output;
    }

    // Within one prediction or evaluation (InferencePass) the kernel does not change, so from its second batch on the GEMM
    // reads it packed once instead of packing it per batch (Predict at batch 32: packing was a fifth of the time). A
    // prediction of one batch, such as a served sample's, never makes the copy. Created on first use, so the copies a
    // model makes of this layer for concurrent predictions each have their own.
    private PackedB? KernelPackedForThisPass()
    {
        long pass = InferencePass.Current;
        if (pass == 0 || pass == _packedPass)
        {
            return pass == 0 ? null : _packedKernel;
        }

        if (pass != _firstBatchPass)
        {
            _firstBatchPass = pass;
            return null;
        }

        _packedKernel ??= new PackedB();
        _packedKernel.Invalidate();
        _packedPass = pass;
        return _packedKernel;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        CheckForwardRan(_lastInput, outputGradient);
        _lora.CheckForwardRan(this, _loraPass, outputGradient);
        Tensor dz = outputGradient;
        if (_ranActivation is not Linear)
        {
            dz = BatchView(ref _preActivationGradient, outputGradient.Shape[0], OutputShape);
            // After the fused forward pass (ReLU) only the output was kept; ReLU's backward pass reads nothing else (a
            // pre-activation buffer left from a pass with another activation is stale, and may be shorter).
            Tensor preActivation = _ranFused ? _lastOutput! : _preActivation!;
            _ranActivation.Backward(preActivation.AsReadOnlySpan()[..dz.Length], _lastOutput!.AsReadOnlySpan(), outputGradient.AsReadOnlySpan(), dz.AsSpan(), Units);
        }

        return BackwardFromPreActivation(dz, outputGradient);
    }

    /// <inheritdoc/>
    protected override Tensor OnBackwardFromLogitsGradient(Tensor logitsGradient)
    {
        CheckForwardRan(_lastInput, logitsGradient);
        _lora.CheckForwardRan(this, _loraPass, logitsGradient);
        return BackwardFromPreActivation(logitsGradient, logitsGradient);
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("units", Units)
        .Set("activation", Activation)
        .Set("use_bias", UseBias)
        .Set("kernel_initializer", KernelInitializer)
        .Set("bias_initializer", BiasInitializer)
        .Set("kernel_regularizer", KernelRegularizer)
        .Set("bias_regularizer", BiasRegularizer)
        .Set("kernel_constraint", KernelConstraint)
        .Set("bias_constraint", BiasConstraint)
        .SetLora(LoraRank, LoraAlpha);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Dense FromConfig(Config config)
    {
        var (loraRank, loraAlpha) = LoraSettings.Read(config);
        int units = config.GetInt32("units", minimum: 1);
        Config d = config.WithDefaults(new Dense(units).GetConfig());
        return new(units, d.GetActivation("activation"), d.GetInitializer("kernel_initializer"), d.GetInitializer("bias_initializer"),
            d.GetRegularizer("kernel_regularizer"), d.GetRegularizer("bias_regularizer"), d.GetBoolean("use_bias"), config.GetString("name"))
        {
            KernelConstraint = d.GetConstraint("kernel_constraint"),
            BiasConstraint = d.GetConstraint("bias_constraint"),
            LoraRank = loraRank,
            LoraAlpha = loraAlpha,
        };
    }

    // dz (R, U) = dLoss/dZ over all rows. dKernel (I, U) += inputᵀ · dz; dBias (U) += column sums of dz; dInput (R, I) = dz · kernelᵀ.
    private Tensor BackwardFromPreActivation(Tensor dz, Tensor outputGradient)
    {
        Tensor input = _lastInput!;
        int batch = dz.Shape[0], inputs = InputShape[-1], units = Units, rows = dz.Length / units;
        Parameter kernel = _kernel!;
        ReadOnlySpan<float> dzSpan = dz.AsReadOnlySpan();
        // A frozen layer's gradients are never read (the optimizer skips it), so a frozen layer between trainable ones
        // only passes the gradient on.
        LowRankAdaptation? lora = _lora.Adaptation;
        if (lora is not null && (lora.Trainable || ComputesInputGradient))
        {
            // The frozen kernel gets no gradient; A's and B's come from rank-sized products (dZ·Bᵀ serves dA and dInput).
            _loraPass!.Backward(lora, dzSpan);
            _loraPass.AccumulateA(lora, input.AsReadOnlySpan());
        }
        else if (lora is null && kernel.Trainable)
        {
            Span<float> kernelGradient = kernel.GradientForProduct(out float beta);
            Gemm.Multiply(true, false, inputs, units, rows, 1f, input.AsReadOnlySpan(), inputs, dzSpan, units, beta, kernelGradient, units);
        }

        if (UseBias && _bias!.Trainable)
        {
            Span<float> biasGradient = _bias!.Gradient.AsSpan();
            for (int start = 0; start < dzSpan.Length; start += units)
            {
                TensorPrimitives.Add(biasGradient, dzSpan.Slice(start, units), biasGradient);
            }
        }

        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, batch, InputShape);
        Gemm.Multiply(false, true, rows, inputs, units, 1f, dzSpan, units, kernel.Value.AsReadOnlySpan(), units, 0f, inputGradient.AsSpan(), inputs);
        if (lora is not null)
        {
            _loraPass!.AddInputGradient(lora, inputGradient.AsSpan());
        }

        return inputGradient;
    }
}
