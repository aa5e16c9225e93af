using System.Globalization;
using System.Numerics.Tensors;
using NeuralNet.Initializers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// KerasHub's <c>keras_hub.layers.PositionEmbedding</c>: a learned vector per position of a sequence, (batch, ..., steps,
/// features) in, the position embeddings broadcast to that shape out, with one trainable weight <c>embeddings</c>
/// (<see cref="SequenceLength"/>, features). Only the input's shape is read, as in KerasHub: add the result to the input
/// (<c>new Add().Call(tokens, new PositionEmbedding(50).Call(tokens))</c>).
/// </summary>
/// <remarks>
/// <para>A sequence of L ≤ <see cref="SequenceLength"/> steps gets the first L rows of <c>embeddings</c>. A longer one
/// (up to <see cref="SequenceLength"/>² steps) gets KerasHub's hierarchical positions: with S the sequence length, α
/// <see cref="HierarchicalAlpha"/> and E = (embeddings − α embeddings[0]) / (1 − α), step i gets
/// α E[i / S] + (1 − α) E[i mod S], which is embeddings[i] for i &lt; S. So a model with a variable number of steps
/// (<c>Input([null, 64])</c>, built at 64 and 128 steps) takes a sequence length as small as its data needs.</para>
/// <para>The output does not depend on the input's values, so the input gets a zero gradient, and a mask reaching the
/// layer is dropped (KerasHub's layer does not support masking; the <see cref="Merge"/> layer that adds it to the
/// tokens keeps the tokens' mask).</para>
/// </remarks>
public sealed class PositionEmbedding : Layer
{
    private Parameter? _embeddings;
    private Tensor? _output;
    private Tensor? _inputGradient;

    // For the hierarchical form: the rows of E (S x features) in a forward pass, of dE in a backward pass.
    private float[]? _hierarchical;

    /// <summary>Creates the layer.</summary>
    /// <param name="sequenceLength">The number of positions with a weight row of their own (KerasHub's <c>sequence_length</c>); at least 1.</param>
    /// <param name="initializer">Initializes <c>embeddings</c>; <see cref="GlorotUniform"/> when null, as KerasHub.</param>
    /// <param name="hierarchicalAlpha">α of the hierarchical positions past <paramref name="sequenceLength"/> (KerasHub's <c>hierarchical_alpha</c>, 0.4); finite and not 1.</param>
    /// <param name="name">The layer's name; the model names it <c>position_embedding</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sequenceLength"/> is below 1, or <paramref name="hierarchicalAlpha"/> is not finite or is 1.</exception>
    public PositionEmbedding(int sequenceLength, Initializer? initializer = null, double hierarchicalAlpha = 0.4, string? name = null)
        : base(name)
    {
        if (sequenceLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(sequenceLength), sequenceLength, $"PositionEmbedding expects a positive sequence_length. Received: sequence_length={sequenceLength}.");
        }

        float alpha = Float32Hyperparameter.Finite(hierarchicalAlpha, nameof(hierarchicalAlpha), "PositionEmbedding", "hierarchical_alpha");
        if (alpha == 1f)
        {
            throw new ArgumentOutOfRangeException(nameof(hierarchicalAlpha), hierarchicalAlpha, "PositionEmbedding's hierarchical_alpha cannot be 1: the hierarchical positions divide by 1 - hierarchical_alpha.");
        }

        SequenceLength = sequenceLength;
        Initializer = initializer ?? new GlorotUniform();
        HierarchicalAlpha = alpha;
    }

    /// <summary>The number of positions with a weight row of their own (KerasHub's <c>sequence_length</c>).</summary>
    public int SequenceLength { get; }

    /// <summary>Initializes <c>embeddings</c>.</summary>
    public Initializer Initializer { get; }

    /// <summary>α of the hierarchical positions past <see cref="SequenceLength"/>, as float32.</summary>
    public float HierarchicalAlpha { get; }

    /// <summary>The weight, (<see cref="SequenceLength"/>, features), once the layer is built.</summary>
    /// <exception cref="InvalidOperationException">The layer is not built.</exception>
    public Parameter Embeddings => _embeddings ?? throw new InvalidOperationException($"{Describe()} has no embeddings until it is built.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "position_embedding";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("sequence_length", SequenceLength)
        .Set("hierarchical_alpha", HierarchicalAlpha)
        .Set("initializer", Initializer);

    /// <summary>KerasHub's <c>from_config</c>.</summary>
    internal static PositionEmbedding FromConfig(Config config)
    {
        int sequenceLength = config.GetInt32("sequence_length", minimum: 1);
        Config d = config.WithDefaults(new PositionEmbedding(sequenceLength).GetConfig());
        return new(sequenceLength, d.GetInitializer("initializer"), d.GetSingle("hierarchical_alpha"), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank < 2)
        {
            throw new ArgumentException($"{Describe()} expects input (None, ..., steps, features) but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        CheckSteps(inputShape[-2], inputShape);
        _embeddings = AddParameter("embeddings", new TensorShape(SequenceLength, inputShape[-1]), Initializer);
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        // One (steps, features) block of position rows, repeated for every sample and every leading axis.
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        int steps = InputShape[-2], features = InputShape[-1], block = steps * features;
        Span<float> y = output.AsSpan();
        Span<float> first = y[..block];
        WritePositions(first, steps, features);
        for (int start = block; start < y.Length; start += block)
        {
            first.CopyTo(y.Slice(start, block));
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        int steps = InputShape[-2], features = InputShape[-1], block = steps * features;
        if (_embeddings!.Trainable)
        {
            ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
            if (steps <= SequenceLength)
            {
                // d embeddings[:steps] += Σ over blocks of dY.
                Span<float> dw = _embeddings.Gradient.AsSpan()[..block];
                for (int start = 0; start < dy.Length; start += block)
                {
                    TensorPrimitives.Add(dw, dy.Slice(start, block), dw);
                }
            }
            else
            {
                AddHierarchicalGradient(dy, steps, features);
            }
        }

        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        // The output reads only the input's shape.
        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        inputGradient.AsSpan().Clear();
        return inputGradient;
    }

    /// <summary>
    /// The position rows a sequence of <paramref name="steps"/> steps gets, (steps, features): the block every sample's output
    /// repeats. For exporters and for inspection; a forward pass computes the same rows.
    /// </summary>
    /// <param name="steps">The sequence length, from 1 to <see cref="SequenceLength"/>².</param>
    /// <returns>A new tensor of shape (steps, features).</returns>
    /// <exception cref="InvalidOperationException">The layer is not built.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is not positive or exceeds <see cref="SequenceLength"/>².</exception>
    public Tensor GetPositions(int steps)
    {
        Parameter embeddings = Embeddings;
        if (steps < 1 || (long)SequenceLength * SequenceLength < steps)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} gives positions to 1 to {(long)SequenceLength * SequenceLength} steps (sequence_length² with sequence_length={SequenceLength})."));
        }

        int features = embeddings.Value.Shape[1];
        var positions = new Tensor(steps, features);
        WritePositions(positions.AsSpan(), steps, features);
        return positions;
    }

    // The first L rows of the embeddings, or KerasHub's hierarchical positions past sequence_length.
    private void WritePositions(Span<float> block, int steps, int features)
    {
        ReadOnlySpan<float> weights = _embeddings!.Value.AsReadOnlySpan();
        if (steps <= SequenceLength)
        {
            weights[..(steps * features)].CopyTo(block);
        }
        else
        {
            WriteHierarchical(weights, block, steps, features);
        }
    }

    private void CheckSteps(int steps, TensorShape inputShape)
    {
        if ((long)SequenceLength * SequenceLength < steps)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} has sequence_length={SequenceLength}, which gives positions to at most {(long)SequenceLength * SequenceLength} steps (sequence_length², KerasHub's hierarchical positions), but got {inputShape.ToBatchString()} with {steps} steps."), nameof(inputShape));
        }
    }

    // Step i: α E[i / S] + (1 − α) E[i mod S], E = (W − α W[0]) / (1 − α).
    private void WriteHierarchical(ReadOnlySpan<float> weights, Span<float> block, int steps, int features)
    {
        float alpha = HierarchicalAlpha, keep = 1f - alpha;
        float[] e = _hierarchical is { } cached && cached.Length == weights.Length ? cached : _hierarchical = new float[weights.Length];
        ReadOnlySpan<float> w0 = weights[..features];
        for (int row = 0; row < SequenceLength; row++)
        {
            Span<float> target = e.AsSpan(row * features, features);
            TensorPrimitives.MultiplyAdd(w0, -alpha, weights.Slice(row * features, features), target);
            TensorPrimitives.Divide(target, keep, target);
        }

        for (int i = 0; i < steps; i++)
        {
            ReadOnlySpan<float> outer = e.AsSpan((i / SequenceLength) * features, features), inner = e.AsSpan((i % SequenceLength) * features, features);
            Span<float> target = block.Slice(i * features, features);
            TensorPrimitives.Multiply(inner, keep, target);
            TensorPrimitives.MultiplyAdd(outer, alpha, target, target);
        }
    }

    private void AddHierarchicalGradient(ReadOnlySpan<float> dy, int steps, int features)
    {
        // dE[i / S] += α Σ dY_i, dE[i mod S] += (1 − α) Σ dY_i; then dW = dE / (1 − α), dW[0] −= α / (1 − α) Σ_j dE[j].
        float alpha = HierarchicalAlpha, keep = 1f - alpha;
        int block = steps * features;
        float[] dE = _hierarchical!;
        dE.AsSpan().Clear();
        for (int start = 0; start < dy.Length; start += block)
        {
            for (int i = 0; i < steps; i++)
            {
                ReadOnlySpan<float> g = dy.Slice(start + (i * features), features);
                Span<float> outer = dE.AsSpan((i / SequenceLength) * features, features), inner = dE.AsSpan((i % SequenceLength) * features, features);
                TensorPrimitives.MultiplyAdd(g, alpha, outer, outer);
                TensorPrimitives.MultiplyAdd(g, keep, inner, inner);
            }
        }

        Span<float> dw = _embeddings!.Gradient.AsSpan();
        Span<float> dw0 = dw[..features];
        for (int row = 0; row < SequenceLength; row++)
        {
            ReadOnlySpan<float> de = dE.AsSpan(row * features, features);
            Span<float> target = dw.Slice(row * features, features);
            TensorPrimitives.MultiplyAdd(de, 1f / keep, target, target);
            TensorPrimitives.MultiplyAdd(de, -alpha / keep, dw0, dw0);
        }
    }
}
