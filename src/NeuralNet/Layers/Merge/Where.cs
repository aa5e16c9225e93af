using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Picks, element by element, from its second input where its first is nonzero and from its third elsewhere (Keras'
/// <c>ops.where(condition, x1, x2)</c>, NumPy's <c>where</c>): <c>y = condition != 0 ? x1 : x2</c>; exactly three
/// inputs. Keras has no such layer: <c>NeuralNet.Keras</c> reads the operation as this layer and writes it back as that
/// operation.
/// </summary>
/// <remarks>
/// <para>NeuralNet has no boolean tensors: the condition is a float tensor read as NumPy reads a number as a truth value,
/// nonzero (NaN included) true, 0 and -0 false; a 0/1 mask is the usual one. Inputs broadcast as for the other merge
/// layers (<see cref="Merge"/>), which for inputs of the same rank is NumPy's broadcasting.</para>
/// <para>Backward, x1 gets the output's gradient where the condition is true and x2 where it is false (0 elsewhere); the
/// condition gets none (null), as in TensorFlow and JAX, whose <c>where</c> is not differentiable in it. Like
/// <see cref="Divide"/>, it drops its inputs' masks, as the operation, which takes none, does.</para>
/// </remarks>
/// <example><c>SymbolicTensor y = new Where().Call(mask, x, fallback);</c></example>
public sealed class Where : Merge
{
    private Tensor? _output;
    private Tensor? _trueGradient;
    private Tensor? _falseGradient;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">The layer's name; the model names it <c>where</c>, ... when null.</param>
    public Where(string? name = null)
        : base(name)
    {
        // Keras has only the operation, which takes no masks: a mask stops here.
        DropsMasks = true;
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "where";

    /// <inheritdoc/>
    protected override int MinimumInputCount => 3;

    /// <inheritdoc/>
    protected override int MaximumInputCount => 3;

    /// <inheritdoc/>
    protected override Tensor Combine(ReadOnlySpan<Tensor> inputs)
    {
        Tensor output = Buffer(ref _output, inputs[0].Shape[0]);
        ReadOnlySpan<float> condition = inputs[0].AsReadOnlySpan(), x1 = inputs[1].AsReadOnlySpan(), x2 = inputs[2].AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = condition[i] != 0f ? x1[i] : x2[i];
        }

        return output;
    }

    /// <inheritdoc/>
    protected override void Distribute(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        int batch = outputGradient.Shape[0];
        Span<float> d1 = Buffer(ref _trueGradient, batch).AsSpan(), d2 = Buffer(ref _falseGradient, batch).AsSpan();
        ReadOnlySpan<float> condition = LastInputs[0]!.AsReadOnlySpan(), g = outputGradient.AsReadOnlySpan();
        for (int i = 0; i < g.Length; i++)
        {
            bool picked = condition[i] != 0f;
            d1[i] = picked ? g[i] : 0f;
            d2[i] = picked ? 0f : g[i];
        }

        inputGradients[0] = null;
        inputGradients[1] = _trueGradient;
        inputGradients[2] = _falseGradient;
    }

    /// <summary>Creates the layer from its config.</summary>
    internal static Where FromConfig(Config config) => new(config.GetString("name"));
}
