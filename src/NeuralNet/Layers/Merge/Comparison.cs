using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Compares its two inputs, or its input with a number, element by element, giving 1 where the comparison holds and 0
/// elsewhere: Keras' <c>ops.greater</c>, <c>ops.greater_equal</c>, <c>ops.less</c>, <c>ops.less_equal</c>,
/// <c>ops.equal</c>, <c>ops.not_equal</c>, <c>ops.logical_and</c>, <c>ops.logical_or</c> and <c>ops.logical_not</c>
/// (<see cref="ComparisonOperator"/>). Keras has no such layer: <c>NeuralNet.Keras</c> reads those operations (and
/// <c>ops.cast(x, "bool")</c>, as <c>x != 0</c>) as this layer and writes it back as the operation.
/// </summary>
/// <remarks>
/// <para>NeuralNet has no boolean tensors: where Keras gives a bool tensor, this layer gives 0/1 floats, which
/// <see cref="Where"/> and arithmetic read as NumPy reads a bool (<c>True</c> is 1). The logical operators read numbers as
/// NumPy does, nonzero (NaN included) true. Two inputs broadcast as for the other merge layers (<see cref="Merge"/>).</para>
/// <para>The output is piecewise constant, so no gradient flows back through it (as in TensorFlow and JAX, whose
/// comparisons give bool tensors): each input's gradient is 0. Like <see cref="Where"/>, it drops its inputs' masks, as the
/// operations, which take none, do.</para>
/// </remarks>
/// <example><c>SymbolicTensor keep = new Comparison(ComparisonOperator.Greater, 0f).Call(mask);</c> is <c>ops.greater(mask, 0)</c>.</example>
public sealed class Comparison : Merge
{
    private Tensor? _output;

    /// <summary>Creates the layer.</summary>
    /// <param name="operator">The comparison.</param>
    /// <param name="constant">The right-hand operand, a finite number, when the layer takes one input; null for two inputs
    /// (one for <see cref="ComparisonOperator.LogicalNot"/>, which takes no number). For a number on the left
    /// (<c>ops.greater(0, x)</c>) swap the operator (<c>Less</c>).</param>
    /// <param name="name">The layer's name; the model names it <c>comparison</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="operator"/> is not an operator, <paramref name="constant"/> is not finite, or is given with <see cref="ComparisonOperator.LogicalNot"/>.</exception>
    public Comparison(ComparisonOperator @operator, double? constant = null, string? name = null)
        : base(name)
    {
        Operator = OperationKinds.Check(@operator, nameof(@operator));
        if (constant is double c && (!float.IsFinite((float)c) || @operator == ComparisonOperator.LogicalNot))
        {
            throw new ArgumentOutOfRangeException(nameof(constant), c,
                $"Comparison expects {(@operator == ComparisonOperator.LogicalNot ? "no number with LogicalNot, which takes one input alone" : "a finite number (as float32)")}. Received: constant={Float32Hyperparameter.Format(c)}");
        }

        Constant = (float?)constant;

        // Keras has only the operations, which take no masks: a mask stops here.
        DropsMasks = true;
    }

    /// <summary>The comparison.</summary>
    public ComparisonOperator Operator { get; }

    /// <summary>The right-hand number, or null when the layer compares two inputs (or negates one), as float32 (the value given, rounded to float32).</summary>
    public float? Constant { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "comparison";

    /// <inheritdoc/>
    protected override int MinimumInputCount => Constant is null && Operator != ComparisonOperator.LogicalNot ? 2 : 1;

    /// <inheritdoc/>
    protected override int MaximumInputCount => MinimumInputCount;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("operator", OperationKinds.Name(Operator))
        .Set("constant", Constant);

    /// <summary>Creates the layer from its config.</summary>
    internal static Comparison FromConfig(Config config) => new(
        OperationKinds.Read<ComparisonOperator>(config, "operator"),
        config.GetNullableSingle("constant"),
        config.GetString("name"));

    /// <inheritdoc/>
    protected override Tensor Combine(ReadOnlySpan<Tensor> inputs)
    {
        Tensor output = Buffer(ref _output, inputs[0].Shape[0]);
        ReadOnlySpan<float> a = inputs[0].AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        if (Operator == ComparisonOperator.LogicalNot)
        {
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = a[i] == 0f ? 1f : 0f;
            }
        }
        else if (Constant is float c)
        {
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = Holds(Operator, a[i], c) ? 1f : 0f;
            }
        }
        else
        {
            ReadOnlySpan<float> b = inputs[1].AsReadOnlySpan();
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = Holds(Operator, a[i], b[i]) ? 1f : 0f;
            }
        }

        return output;
    }

    // IEEE comparisons, as NumPy's: every ordered comparison with NaN is false, != is true.
    private static bool Holds(ComparisonOperator op, float a, float b) => op switch
    {
        ComparisonOperator.Greater => a > b,
        ComparisonOperator.GreaterEqual => a >= b,
        ComparisonOperator.Less => a < b,
        ComparisonOperator.LessEqual => a <= b,
        ComparisonOperator.Equal => a == b,
        ComparisonOperator.NotEqual => a != b,
        ComparisonOperator.LogicalAnd => a != 0f && b != 0f,
        _ => a != 0f || b != 0f,
    };

    /// <inheritdoc/>
    protected override void Distribute(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        // No gradient: null slots, which the model reads as 0 (one input or two).
        inputGradients.Clear();
    }
}
