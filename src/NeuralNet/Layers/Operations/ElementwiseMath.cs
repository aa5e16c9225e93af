using System.Numerics.Tensors;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Applies a mathematical function to each element: √x, x², eˣ, ln x, |x|, -x, sin, cos, erf, floor, round or sign
/// (<see cref="ElementwiseFunction"/>). Keras writes these as operations (<c>ops.sqrt</c>, <c>ops.square</c>, <c>ops.exp</c>,
/// <c>ops.log</c>, <c>ops.abs</c>, <c>ops.negative</c>, <c>ops.sin</c>, ...), which <c>NeuralNet.Keras</c> reads as this
/// layer. Same shape out as in, no parameters.
/// </summary>
/// <remarks>
/// As in Keras, √x and ln x of a negative x are NaN and ln 0 is -∞; the gradient of |x| at 0 is 0 (the sign of 0).
/// Floor, round and sign are steps: their gradient is 0 everywhere, as TensorFlow, JAX and PyTorch define it.
/// </remarks>
public sealed class ElementwiseMath : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastInput;
    private Tensor? _lastOutput;

    /// <summary>Creates the layer.</summary>
    /// <param name="function">The function.</param>
    /// <param name="name">The layer's name; the model names it <c>elementwise_math</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="function"/> is not a function.</exception>
    public ElementwiseMath(ElementwiseFunction function, string? name = null)
        : base(name)
    {
        Function = OperationKinds.Check(function, nameof(function));
    }

    /// <summary>The function.</summary>
    public ElementwiseFunction Function { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "elementwise_math";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("function", OperationKinds.Name(Function));

    /// <summary>Creates the layer from its config.</summary>
    internal static ElementwiseMath FromConfig(Config config) =>
        new(OperationKinds.Read<ElementwiseFunction>(config, "function"), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        switch (Function)
        {
            case ElementwiseFunction.Sqrt:
                TensorPrimitives.Sqrt(x, y);
                break;
            case ElementwiseFunction.Square:
                TensorPrimitives.Multiply(x, x, y);
                break;
            case ElementwiseFunction.Exp:
                TensorPrimitives.Exp(x, y);
                break;
            case ElementwiseFunction.Log:
                TensorPrimitives.Log(x, y);
                break;
            case ElementwiseFunction.Abs:
                TensorPrimitives.Abs(x, y);
                break;
            case ElementwiseFunction.Sin:
                TensorPrimitives.Sin(x, y);
                break;
            case ElementwiseFunction.Cos:
                TensorPrimitives.Cos(x, y);
                break;
            case ElementwiseFunction.Erf:
                ErrorFunction.Erf(x, y);
                break;
            case ElementwiseFunction.Floor:
                TensorPrimitives.Floor(x, y);
                break;
            case ElementwiseFunction.Round:
                // MidpointRounding.ToEven, NumPy's (and ONNX Round's) rule: 0.5 -> 0, 1.5 -> 2.
                TensorPrimitives.Round(x, y);
                break;
            case ElementwiseFunction.Sign:
                for (int i = 0; i < y.Length; i++)
                {
                    y[i] = x[i] > 0f ? 1f : x[i] < 0f ? -1f : x[i];
                }

                break;
            default:
                TensorPrimitives.Negate(x, y);
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

        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        ReadOnlySpan<float> x = _lastInput!.AsReadOnlySpan();
        ReadOnlySpan<float> y = _lastOutput!.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        switch (Function)
        {
            case ElementwiseFunction.Sqrt:
                // d√x/dx = 1 / (2√x) = 0.5 / y.
                TensorPrimitives.Divide(dy, y, dx);
                TensorPrimitives.Multiply(dx, 0.5f, dx);
                break;
            case ElementwiseFunction.Square:
                TensorPrimitives.Multiply(dy, x, dx);
                TensorPrimitives.Multiply(dx, 2f, dx);
                break;
            case ElementwiseFunction.Exp:
                TensorPrimitives.Multiply(dy, y, dx);
                break;
            case ElementwiseFunction.Log:
                TensorPrimitives.Divide(dy, x, dx);
                break;
            case ElementwiseFunction.Abs:
                for (int i = 0; i < dx.Length; i++)
                {
                    dx[i] = x[i] > 0f ? dy[i] : x[i] < 0f ? -dy[i] : 0f;
                }

                break;
            case ElementwiseFunction.Sin:
                TensorPrimitives.Cos(x, dx);
                TensorPrimitives.Multiply(dx, dy, dx);
                break;
            case ElementwiseFunction.Cos:
                TensorPrimitives.Sin(x, dx);
                TensorPrimitives.Multiply(dx, dy, dx);
                TensorPrimitives.Negate(dx, dx);
                break;
            case ElementwiseFunction.Erf:
                ErrorFunction.ErfBackward(x, dy, dx);
                break;
            case ElementwiseFunction.Floor or ElementwiseFunction.Round or ElementwiseFunction.Sign:
                dx.Clear();
                break;
            default:
                TensorPrimitives.Negate(dy, dx);
                break;
        }

        return inputGradient;
    }
}
