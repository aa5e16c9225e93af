using System.Globalization;
using System.Numerics.Tensors;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// Keras' LoRA on one weight (<c>enable_lora</c> of Dense, EinsumDense and Embedding): the frozen weight W, read as
/// (rows, columns) with columns its last axis, and the trainable A (rows, rank) and B (rank, columns); the layer computes
/// with <c>W + (alpha / rank) · A·B</c>, the effective weight Keras' <c>kernel</c> property returns.
/// </summary>
/// <remarks>
/// One instance per layer, in its <see cref="LoraSlot"/>, read by the copies that run its other calls (their parameters are
/// its own). Dense and Embedding never form the merged weight while they run: they add <c>scale · (input·A)·B</c> through a
/// <see cref="LowRankPass"/>. EinsumDense merges into a buffer each copy owns (<see cref="Merge"/>, <see cref="GradientBuffer"/>),
/// so copies run side by side; files take <see cref="Merged"/>.
/// </remarks>
internal sealed class LowRankAdaptation
{
    private long _mergeCount;

    private LowRankAdaptation(Parameter frozen, Parameter a, Parameter b, int rank, float alpha)
    {
        Frozen = frozen;
        A = a;
        B = b;
        Rank = rank;
        Alpha = alpha;

        // Keras: (self.lora_alpha / self.lora_rank) is a Python float, applied to a float32 product.
        Scale = (float)((double)alpha / rank);
        Columns = frozen.Shape[-1];
        Rows = frozen.Value.Length / Columns;
    }

    /// <summary>The frozen weight (Keras' <c>_kernel</c> or <c>_embeddings</c>), no longer trainable.</summary>
    public Parameter Frozen { get; }

    /// <summary>Keras' <c>lora_kernel_a</c> / <c>lora_embeddings_a</c>: the weight's shape without its last axis, then rank.</summary>
    public Parameter A { get; }

    /// <summary>Keras' <c>lora_kernel_b</c> / <c>lora_embeddings_b</c>: (rank, the weight's last axis).</summary>
    public Parameter B { get; }

    /// <summary>Keras' <c>lora_rank</c>.</summary>
    public int Rank { get; }

    /// <summary>Keras' <c>lora_alpha</c>.</summary>
    public float Alpha { get; }

    /// <summary><c>lora_alpha / lora_rank</c>, the factor of A·B.</summary>
    public float Scale { get; }

    /// <summary>The weight's elements before its last axis (A's rows).</summary>
    public int Rows { get; }

    /// <summary>The weight's last axis (B's columns).</summary>
    public int Columns { get; }

    /// <summary>How many times <see cref="Merge"/> ran: lets tests see that a prediction merges once, not once per batch.</summary>
    internal long MergeCount => Interlocked.Read(ref _mergeCount);

    /// <summary>Whether a backward pass has gradients of A or B to compute (the layer may be frozen).</summary>
    public bool Trainable => A.Trainable || B.Trainable;

    /// <summary>
    /// Checks Keras' <c>enable_lora</c> arguments and state for <paramref name="layer"/>, then adds A and B to it and
    /// freezes the weight. Nothing changes when a check fails.
    /// </summary>
    /// <param name="layer">The layer (the one that owns its parameters, not a copy for another call).</param>
    /// <param name="weight">Its weight to be frozen (null while the layer is not built).</param>
    /// <param name="constraint">The weight's constraint as the layer is configured (known before the build), or null.</param>
    /// <param name="enabled">Whether LoRA is already enabled.</param>
    /// <param name="names">The weight's Keras attribute (<c>kernel</c>) and the names of A and B.</param>
    /// <param name="rank">Keras' <c>rank</c>.</param>
    /// <param name="alpha">Keras' <c>lora_alpha</c>; null for the rank.</param>
    /// <param name="aInitializer">A's initializer; null for Keras' <c>he_uniform</c>.</param>
    /// <param name="bInitializer">B's initializer; null for Keras' <c>zeros</c>.</param>
    public static LowRankAdaptation Create(Layer layer, Parameter? weight, Constraint? constraint, bool enabled, (string Weight, string A, string B) names,
        int rank, double? alpha, Initializer? aInitializer, Initializer? bInitializer)
    {
        string describe = layer.Description;
        LoraSettings.CheckRank(rank, describe, nameof(rank));
        float? singleAlpha = LoraSettings.CheckAlpha(alpha, describe, nameof(alpha));

        if (layer.Wrapper is Layer wrapper)
        {
            throw new InvalidOperationException($"{describe} runs inside {wrapper.Description}: LoRA is not supported on a wrapped layer (the wrapper would leave A and B untrained and the kernel frozen). Enable LoRA on an unwrapped layer.");
        }

        // Keras' enable_lora refuses the constraint before it checks the build: the configured one is known before it.
        if ((weight?.Constraint ?? constraint) is not null)
        {
            throw new InvalidOperationException($"{describe}: LoRA is incompatible with a constraint on the {names.Weight} (Keras refuses it too); remove the {names.Weight} constraint to enable LoRA.");
        }

        if (weight is null)
        {
            throw new InvalidOperationException($"{describe} is not built: LoRA can only be enabled on a built layer (build it, or call it in a model, first).");
        }

        if (enabled)
        {
            throw new InvalidOperationException($"{describe} already has LoRA enabled; it can only be enabled once per layer.");
        }

        aInitializer ??= new HeUniform();
        bInitializer ??= Zeros.Instance;
        int columns = weight.Shape[-1];
        var aShape = new TensorShape([.. weight.Shape.Dimensions[..^1], rank]);
        var bShape = new TensorShape(rank, columns);
        Validate(describe, names.A, aInitializer, aShape);
        Validate(describe, names.B, bInitializer, bShape);

        // Keras gives A and B the weight's regularizer.
        Parameter aParameter = layer.AddHelperParameter(names.A, aShape, aInitializer, weight.Regularizer);
        Parameter bParameter = layer.AddHelperParameter(names.B, bShape, bInitializer, weight.Regularizer);
        weight.IsTrainableKind = false;
        return new LowRankAdaptation(weight, aParameter, bParameter, rank, singleAlpha ?? rank);
    }

    /// <summary>
    /// Refuses to wrap a layer whose build enables LoRA (<see cref="ILoraLayer.LoraRank"/> set): the wrapper would not train
    /// its A and B and the weight would stay frozen. Called by the wrappers' constructors, before anything changes.
    /// </summary>
    /// <param name="layer">The layer to wrap.</param>
    /// <param name="wrapper">The wrapper's type name, for the message.</param>
    public static void RefuseWrapping(Layer layer, string wrapper)
    {
        if (layer is ILoraLayer { LoraRank: int rank })
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{wrapper} cannot wrap {layer.Description}, which has lora_rank={rank}: LoRA is not supported inside a wrapper ({wrapper} would leave A and B untrained and the kernel frozen). Use the layer unwrapped, or without lora_rank."), nameof(layer));
        }
    }

    /// <summary>
    /// The effective weight <c>W + scale · A·B</c> in <paramref name="buffer"/> (created on first use): A·B rounded to
    /// float32, then scaled, then added, the three steps of Keras' expression.
    /// </summary>
    public ReadOnlySpan<float> Merge(ref Tensor? buffer)
    {
        // Interlocked: the copies of a layer for concurrent predictions merge side by side.
        Interlocked.Increment(ref _mergeCount);
        buffer ??= new Tensor(Frozen.Shape);
        Span<float> merged = buffer.AsSpan();
        Gemm.Multiply(false, false, Rows, Columns, Rank, 1f, A.Value.AsReadOnlySpan(), Rank, B.Value.AsReadOnlySpan(), Columns, 0f, merged, Columns);
        TensorPrimitives.Multiply(merged, Scale, merged);
        TensorPrimitives.Add(merged, Frozen.Value.AsReadOnlySpan(), merged);
        return merged;
    }

    /// <summary>
    /// <see cref="Merge"/> at most once per prediction (<see cref="InferencePass"/>): the weights do not change within one, so
    /// its later batches reuse <paramref name="buffer"/>; training and single calls merge every time.
    /// </summary>
    /// <param name="buffer">The merged weight, created on first use.</param>
    /// <param name="mergedPass">The prediction <paramref name="buffer"/> was merged for (0: none).</param>
    public ReadOnlySpan<float> MergeOncePerPrediction(ref Tensor? buffer, ref long mergedPass)
    {
        long pass = InferencePass.Current;
        if (pass != 0 && pass == mergedPass && buffer is not null)
        {
            return buffer.AsReadOnlySpan();
        }

        mergedPass = pass;
        return Merge(ref buffer);
    }

    /// <summary>A new tensor holding the effective weight (what Keras saves as the weight).</summary>
    public Tensor Merged()
    {
        Tensor? merged = null;
        Merge(ref merged);
        return merged!;
    }

    /// <summary>The buffer for dLoss/dW, the effective weight's gradient (created on first use).</summary>
    public static Span<float> GradientBuffer(ref Tensor? buffer, TensorShape shape)
    {
        buffer ??= new Tensor(shape);
        return buffer.AsSpan();
    }

    /// <summary>
    /// From dLoss/dW (rows, columns) of the effective weight: dA (rows, rank) += scale · dW·Bᵀ and dB (rank, columns) +=
    /// scale · Aᵀ·dW, each for a trainable parameter only.
    /// </summary>
    public void AccumulateGradients(ReadOnlySpan<float> weightGradient)
    {
        if (A.Trainable)
        {
            Span<float> da = A.GradientForProduct(out float beta);
            Gemm.Multiply(false, true, Rows, Rank, Columns, Scale, weightGradient, Columns, B.Value.AsReadOnlySpan(), Columns, beta, da, Rank);
        }

        if (B.Trainable)
        {
            Span<float> db = B.GradientForProduct(out float beta);
            Gemm.Multiply(true, false, Rank, Columns, Rows, Scale, A.Value.AsReadOnlySpan(), Rank, weightGradient, Columns, beta, db, Columns);
        }
    }

    private static void Validate(string describe, string name, Initializer initializer, TensorShape shape)
    {
        try
        {
            initializer.ValidateShape(shape);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{describe}: the initializer of '{name}' does not fit it: {e.Message}", nameof(initializer), e);
        }
    }
}
