using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Combines each element with a constant: <c>x + c</c>, <c>x - c</c>, <c>x * c</c>, <c>x / c</c>, <c>max(x, c)</c>,
/// <c>min(x, c)</c>, <c>x ** c</c>, or with the constant first <c>c - x</c>, <c>c / x</c>, <c>c ** x</c>. Keras writes these
/// as operations (<c>x * 0.5</c>, <c>1 - x</c>, <c>x ** 2</c>: <c>ops.multiply</c>, <c>ops.subtract</c>, <c>ops.power</c>
/// with a number), which <c>NeuralNet.Keras</c> reads as this layer. Same shape out as in, no parameters.
/// </summary>
public sealed class ScalarArithmetic : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastInput;
    private Tensor? _lastOutput;

    /// <summary>Creates the layer.</summary>
    /// <param name="operator">The operator.</param>
    /// <param name="constant">The constant c, finite.</param>
    /// <param name="constantFirst">Whether c is the left operand (<c>c - x</c>, <c>c / x</c>, <c>c ** x</c>); it changes nothing for +, *, max and min.</param>
    /// <param name="name">The layer's name; the model names it <c>scalar_arithmetic</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="operator"/> is not an operator, or <paramref name="constant"/> is not finite.</exception>
    public ScalarArithmetic(ArithmeticOperator @operator, double constant, bool constantFirst = false, string? name = null)
        : base(name)
    {
        Operator = OperationKinds.Check(@operator, nameof(@operator));
        Constant = Float32Hyperparameter.Finite(constant, nameof(constant), "ScalarArithmetic");

        ConstantFirst = constantFirst;
    }

    /// <summary>The operator.</summary>
    public ArithmeticOperator Operator { get; }

    /// <summary>The constant c, as float32 (the value given, rounded to float32).</summary>
    public float Constant { get; }

    /// <summary>Whether c is the left operand.</summary>
    public bool ConstantFirst { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "scalar_arithmetic";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("operator", OperationKinds.Name(Operator))
        .Set("constant", Constant)
        .Set("constant_first", ConstantFirst);

    /// <summary>Creates the layer from its config.</summary>
    internal static ScalarArithmetic FromConfig(Config config) => new(
        OperationKinds.Read<ArithmeticOperator>(config, "operator"),
        config.GetSingle("constant"),
        config.GetBoolean("constant_first", false),
        config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        float c = Constant;
        switch (Operator)
        {
            case ArithmeticOperator.Add:
                TensorPrimitives.Add(x, c, y);
                break;
            case ArithmeticOperator.Subtract when ConstantFirst:
                TensorPrimitives.Subtract(c, x, y);
                break;
            case ArithmeticOperator.Subtract:
                TensorPrimitives.Subtract(x, c, y);
                break;
            case ArithmeticOperator.Multiply:
                TensorPrimitives.Multiply(x, c, y);
                break;
            case ArithmeticOperator.Divide when ConstantFirst:
                TensorPrimitives.Divide(c, x, y);
                break;
            case ArithmeticOperator.Divide:
                TensorPrimitives.Divide(x, c, y);
                break;
            case ArithmeticOperator.Maximum:
                TensorPrimitives.Max(x, c, y);
                break;
            case ArithmeticOperator.Minimum:
                TensorPrimitives.Min(x, c, y);
                break;
            case ArithmeticOperator.Power when ConstantFirst:
                TensorPrimitives.Pow(c, x, y);
                break;
            default:
                TensorPrimitives.Pow(x, c, y);
                break;
        }

        _lastInput = input;
        _lastOutput = output;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        CheckForwardRan(_lastInput, outputGradient);
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        switch (Operator)
        {
            case ArithmeticOperator.Add:
            case ArithmeticOperator.Subtract when !ConstantFirst:
                return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        Span<float> dx = inputGradient.AsSpan();
        float c = Constant;
        switch (Operator)
        {
            case ArithmeticOperator.Subtract:
                TensorPrimitives.Negate(dy, dx);
                break;
            case ArithmeticOperator.Multiply:
                TensorPrimitives.Multiply(dy, c, dx);
                break;
            case ArithmeticOperator.Divide when ConstantFirst:
                // d(c/x)/dx = -c / x²: dx = -c · dy / x / x.
                ReadOnlySpan<float> x = _lastInput!.AsReadOnlySpan();
                TensorPrimitives.Divide(dy, x, dx);
                TensorPrimitives.Divide(dx, x, dx);
                TensorPrimitives.Multiply(dx, -c, dx);
                break;
            case ArithmeticOperator.Divide:
                TensorPrimitives.Divide(dy, c, dx);
                break;
            case ArithmeticOperator.Maximum or ArithmeticOperator.Minimum:
                // TensorFlow's _MaximumMinimumGrad: on a tie the gradient goes to the first operand (greater_equal /
                // less_equal of x1 and x2), so to x in max(x, c) and to the constant (x gets 0) in max(c, x).
                ReadOnlySpan<float> input = _lastInput!.AsReadOnlySpan();
                bool largest = Operator == ArithmeticOperator.Maximum;
                bool tieToX = !ConstantFirst;
                for (int i = 0; i < dx.Length; i++)
                {
                    float v = input[i];
                    bool toX = v == c ? tieToX : largest ? v > c : v < c;
                    dx[i] = toX ? dy[i] : 0f;
                }

                break;
            case ArithmeticOperator.Power when ConstantFirst:
                // d(cˣ)/dx = cˣ ln c = y ln c; TensorFlow's _PowGrad takes ln c as 0 where c ≤ 0 (no real logarithm), so
                // the gradient is 0 there (NaN where cˣ itself is NaN or infinite, as y · 0 is in TensorFlow).
                TensorPrimitives.Multiply(_lastOutput!.AsReadOnlySpan(), dy, dx);
                TensorPrimitives.Multiply(dx, c > 0f ? MathF.Log(c) : 0f, dx);
                break;
            case ArithmeticOperator.Power when c == 0f:
                // x⁰ = 1 everywhere (0⁰ too, as NumPy has it): no gradient, where c x⁻¹ would be 0 · ∞ at x = 0.
                dx.Clear();
                break;
            default:
                // d(xᶜ)/dx = c xᶜ⁻¹, computed as such rather than c y / x, which is 0/0 at x = 0.
                TensorPrimitives.Pow(_lastInput!.AsReadOnlySpan(), c - 1f, dx);
                TensorPrimitives.Multiply(dx, dy, dx);
                TensorPrimitives.Multiply(dx, c, dx);
                break;
        }

        return inputGradient;
    }
}
