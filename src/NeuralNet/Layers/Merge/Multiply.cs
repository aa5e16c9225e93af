using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Multiplies its inputs element by element (Keras' <c>Multiply</c>): <c>y = x1 * x2 * ...</c>; the gradient of each
/// input is the output's gradient times the product of the other inputs (a gate, in attention-like blocks).
/// </summary>
public sealed class Multiply : Merge
{
    private Tensor? _output;
    private Tensor?[] _gradients = [];

    /// <summary>Creates a multiplication.</summary>
    /// <param name="name">The layer's name; the model names it <c>multiply</c>, ... when null.</param>
    public Multiply(string? name = null)
        : base(name)
    {
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "multiply";

    /// <inheritdoc/>
    protected override Tensor Combine(ReadOnlySpan<Tensor> inputs)
    {
        Tensor output = Buffer(ref _output, inputs[0].Shape[0]);
        Span<float> y = output.AsSpan();
        inputs[0].AsReadOnlySpan().CopyTo(y);
        for (int i = 1; i < inputs.Length; i++)
        {
            TensorPrimitives.Multiply(y, inputs[i].AsReadOnlySpan(), y);
        }

        return output;
    }

    /// <inheritdoc/>
    protected override void Distribute(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        ReadOnlySpan<Tensor?> inputs = LastInputs;
        if (_gradients.Length != inputs.Length)
        {
            _gradients = new Tensor?[inputs.Length];
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            // dy/dx_i = product of the other inputs.
            Tensor gradient = Buffer(ref _gradients[i], outputGradient.Shape[0]);
            Span<float> g = gradient.AsSpan();
            outputGradient.AsReadOnlySpan().CopyTo(g);
            for (int j = 0; j < inputs.Length; j++)
            {
                if (j != i)
                {
                    TensorPrimitives.Multiply(g, inputs[j]!.AsReadOnlySpan(), g);
                }
            }

            inputGradients[i] = gradient;
        }
    }

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Multiply FromConfig(Config config) => new(config.GetString("name"));
}
