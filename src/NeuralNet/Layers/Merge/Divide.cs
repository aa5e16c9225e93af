using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Divides its first input by its second, element by element: <c>y = a / b</c>; exactly two inputs. Keras has no such
/// layer: it writes <c>a / b</c> of two tensors as the operation <c>ops.divide</c> (<c>ops.true_divide</c>), which
/// <c>NeuralNet.Keras</c> reads as this layer and writes back as that operation.
/// </summary>
/// <remarks>
/// As in NumPy, dividing by 0 gives ±∞ (or NaN for 0 / 0). The gradients are <c>g / b</c> for a and <c>-g a / b²</c> for b,
/// the latter computed as <c>-(g / b) y</c>. Inputs broadcast as for <see cref="Subtract"/> (<see cref="Merge"/>). Unlike
/// the other merge layers, it drops the masks of its inputs (its output has none), as Keras' <c>ops.divide</c>, which takes
/// no masks, does; masked values are divided as they are.
/// </remarks>
public sealed class Divide : Merge
{
    private Tensor? _output;
    private Tensor? _dividendGradient;
    private Tensor? _divisorGradient;

    /// <summary>Creates a division.</summary>
    /// <param name="name">The layer's name; the model names it <c>divide</c>, ... when null.</param>
    public Divide(string? name = null)
        : base(name)
    {
        // Keras has only the operation, which takes no masks: a mask stops here, as at an operation read from a file.
        DropsMasks = true;
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "divide";

    /// <inheritdoc/>
    protected override int MinimumInputCount => 2;

    /// <inheritdoc/>
    protected override int MaximumInputCount => 2;

    /// <inheritdoc/>
    protected override Tensor Combine(ReadOnlySpan<Tensor> inputs)
    {
        Tensor output = Buffer(ref _output, inputs[0].Shape[0]);
        TensorPrimitives.Divide(inputs[0].AsReadOnlySpan(), inputs[1].AsReadOnlySpan(), output.AsSpan());
        return output;
    }

    /// <inheritdoc/>
    protected override void Distribute(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        Tensor dividend = Buffer(ref _dividendGradient, outputGradient.Shape[0]);
        Tensor divisor = Buffer(ref _divisorGradient, outputGradient.Shape[0]);
        Span<float> da = dividend.AsSpan(), db = divisor.AsSpan();
        TensorPrimitives.Divide(outputGradient.AsReadOnlySpan(), LastInputs[1]!.AsReadOnlySpan(), da);
        TensorPrimitives.Multiply(da, _output!.AsReadOnlySpan(), db);
        TensorPrimitives.Negate(db, db);
        inputGradients[0] = dividend;
        inputGradients[1] = divisor;
    }

    /// <summary>Creates the layer from its config.</summary>
    internal static Divide FromConfig(Config config) => new(config.GetString("name"));
}
