using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Picks, element by element, from its second input where its first is nonzero and from its third elsewhere (Keras'
/// <c>ops.where(condition, x1, x2)</c>, NumPy's <c>where</c>): <c>y = condition != 0 ? x1 : x2</c>; three inputs, or
/// fewer when x1 or x2 is a number (<c>ops.where(mask, scores, -1e9)</c>: <c>new Where(null, -1e9f).Call(mask, scores)</c>).
/// Keras has no such layer: <c>NeuralNet.Keras</c> reads the operation as this layer and writes it back as that operation.
/// </summary>
/// <remarks>
/// <para>NeuralNet has no boolean tensors: the condition is a float tensor read as NumPy reads a number as a truth value,
/// nonzero (NaN included) true, 0 and -0 false; a 0/1 mask is the usual one. Inputs broadcast as for the other merge
/// layers (<see cref="Merge"/>), which for inputs of the same rank is NumPy's broadcasting.</para>
/// <para>Backward, x1 gets the output's gradient where the condition is true and x2 where it is false (0 elsewhere); the
/// condition gets none (null, also when it is the only input, both branches numbers), as in TensorFlow and JAX, whose
/// <c>where</c> is not differentiable in it. Like <see cref="Divide"/>, it drops its inputs' masks, as the operation, which takes none, does.</para>
/// </remarks>
/// <example><c>SymbolicTensor y = new Where().Call(mask, x, fallback);</c>, or with a number,
/// <c>SymbolicTensor masked = new Where(whenTrue: null, whenFalse: -1e9f).Call(mask, scores);</c></example>
public sealed class Where : Merge
{
    private Tensor? _output;
    private Tensor? _trueGradient;
    private Tensor? _falseGradient;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">The layer's name; the model names it <c>where</c>, ... when null.</param>
    public Where(string? name = null)
        : this(null, null, name)
    {
    }

    /// <summary>Creates the layer with a number in place of x1, of x2 or of both; the inputs are then the condition and the other(s), in order.</summary>
    /// <param name="whenTrue">The number picked where the condition is nonzero, finite; null to pick the second input's value.</param>
    /// <param name="whenFalse">The number picked where the condition is 0, finite; null to pick the last input's value.</param>
    /// <param name="name">The layer's name; the model names it <c>where</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="whenTrue"/> or <paramref name="whenFalse"/> is not finite.</exception>
    public Where(double? whenTrue, double? whenFalse, string? name = null)
        : base(name)
    {
        WhenTrue = Finite(whenTrue, nameof(whenTrue));
        WhenFalse = Finite(whenFalse, nameof(whenFalse));

        // Keras has only the operation, which takes no masks: a mask stops here.
        DropsMasks = true;
    }

    /// <summary>The number picked where the condition is nonzero, or null when the second input gives x1, as float32 (the value given, rounded to float32).</summary>
    public float? WhenTrue { get; }

    /// <summary>The number picked where the condition is 0, or null when the last input gives x2, as float32 (the value given, rounded to float32).</summary>
    public float? WhenFalse { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "where";

    /// <inheritdoc/>
    protected override int MinimumInputCount => 1 + (WhenTrue is null ? 1 : 0) + (WhenFalse is null ? 1 : 0);

    /// <inheritdoc/>
    protected override int MaximumInputCount => MinimumInputCount;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("when_true", WhenTrue)
        .Set("when_false", WhenFalse);

    // A number in the config must survive JSON and stand for a value, as x1 or x2 would.
    // Checked as float32, the value used: 1e39 would be infinity.
    private static float? Finite(double? value, string parameter) => value is double v && !float.IsFinite((float)v)
        ? throw new ArgumentOutOfRangeException(parameter, v, $"Where expects a finite number as {parameter} (or null to take it from an input); -1e9 is the usual stand-in for minus infinity before a softmax. Received: {parameter}={Float32Hyperparameter.Format(v)}.")
        : (float?)value;

    /// <inheritdoc/>
    protected override Tensor Combine(ReadOnlySpan<Tensor> inputs)
    {
        Tensor output = Buffer(ref _output, inputs[0].Shape[0]);
        ReadOnlySpan<float> condition = inputs[0].AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        switch (WhenTrue, WhenFalse)
        {
            case (null, null):
                ReadOnlySpan<float> x1 = inputs[1].AsReadOnlySpan(), x2 = inputs[2].AsReadOnlySpan();
                for (int i = 0; i < y.Length; i++)
                {
                    y[i] = condition[i] != 0f ? x1[i] : x2[i];
                }

                break;
            case (null, float c2):
                ReadOnlySpan<float> a = inputs[1].AsReadOnlySpan();
                for (int i = 0; i < y.Length; i++)
                {
                    y[i] = condition[i] != 0f ? a[i] : c2;
                }

                break;
            case (float c1, null):
                ReadOnlySpan<float> b = inputs[1].AsReadOnlySpan();
                for (int i = 0; i < y.Length; i++)
                {
                    y[i] = condition[i] != 0f ? c1 : b[i];
                }

                break;
            case (float c1, float c2):
                for (int i = 0; i < y.Length; i++)
                {
                    y[i] = condition[i] != 0f ? c1 : c2;
                }

                break;
        }

        return output;
    }

    /// <inheritdoc/>
    protected override void Distribute(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        // The condition gets none; a number in place of x1 or x2 has no input (and no buffer), so the inputs after it move up.
        int batch = outputGradient.Shape[0];
        ReadOnlySpan<float> condition = LastInputs[0]!.AsReadOnlySpan(), g = outputGradient.AsReadOnlySpan();
        inputGradients[0] = null;
        if (inputGradients.Length == 1)
        {
            // Two numbers: the condition alone, which gets none either.
            return;
        }

        int next = 1;
        if (WhenTrue is null)
        {
            Span<float> d1 = Buffer(ref _trueGradient, batch).AsSpan();
            for (int i = 0; i < g.Length; i++)
            {
                d1[i] = condition[i] != 0f ? g[i] : 0f;
            }

            inputGradients[next++] = _trueGradient;
        }

        if (WhenFalse is null)
        {
            Span<float> d2 = Buffer(ref _falseGradient, batch).AsSpan();
            for (int i = 0; i < g.Length; i++)
            {
                d2[i] = condition[i] != 0f ? 0f : g[i];
            }

            inputGradients[next] = _falseGradient;
        }
    }

    /// <summary>Creates the layer from its config.</summary>
    internal static Where FromConfig(Config config) => new(config.GetNullableSingle("when_true"), config.GetNullableSingle("when_false"), config.GetString("name"));
}
