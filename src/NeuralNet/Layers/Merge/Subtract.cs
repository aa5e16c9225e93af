using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>Subtracts its second input from its first (Keras' <c>Subtract</c>): <c>y = a - b</c>; exactly two inputs.</summary>
/// <remarks>
/// Masks do not change the values, as in Keras 3; the output's mask is the inputs' ORed, or none when an input has none
/// (<see cref="Merge"/>).
/// </remarks>
public sealed class Subtract : Merge
{
    private Tensor? _output;
    private Tensor? _negated;

    /// <summary>Creates a subtraction.</summary>
    /// <param name="name">The layer's name; the model names it <c>subtract</c>, ... when null.</param>
    public Subtract(string? name = null)
        : base(name)
    {
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "subtract";

    /// <inheritdoc/>
    protected override int MinimumInputCount => 2;

    /// <inheritdoc/>
    protected override int MaximumInputCount => 2;

    /// <inheritdoc/>
    protected override Tensor Combine(ReadOnlySpan<Tensor> inputs)
    {
        Tensor output = Buffer(ref _output, inputs[0].Shape[0]);
        TensorPrimitives.Subtract(inputs[0].AsReadOnlySpan(), inputs[1].AsReadOnlySpan(), output.AsSpan());
        return output;
    }

    /// <inheritdoc/>
    protected override void Distribute(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        Tensor negated = Buffer(ref _negated, outputGradient.Shape[0]);
        TensorPrimitives.Negate(outputGradient.AsReadOnlySpan(), negated.AsSpan());
        inputGradients[0] = outputGradient;
        inputGradients[1] = negated;
    }

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Subtract FromConfig(Config config) => new(config.GetString("name"));
}
