using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The element-wise smallest of its inputs (Keras' <c>Minimum</c>). The output's gradient goes, element by element, to the
/// input that holds the smallest value (the first such input on ties); the other inputs get 0 there.
/// </summary>
public sealed class Minimum : Merge
{
    private Tensor? _output;
    private Tensor?[] _gradients = [];

    /// <summary>Creates an element-wise smallest.</summary>
    /// <param name="name">The layer's name; the model names it <c>minimum</c>, ... when null.</param>
    public Minimum(string? name = null)
        : base(name)
    {
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "minimum";

    /// <inheritdoc/>
    protected override Tensor Combine(ReadOnlySpan<Tensor> inputs)
    {
        Tensor output = Buffer(ref _output, inputs[0].Shape[0]);
        Span<float> y = output.AsSpan();
        inputs[0].AsReadOnlySpan().CopyTo(y);
        for (int i = 1; i < inputs.Length; i++)
        {
            TensorPrimitives.Min(y, inputs[i].AsReadOnlySpan(), y);
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
            Tensor gradient = Buffer(ref _gradients[i], outputGradient.Shape[0]);
            gradient.AsSpan().Clear();
            inputGradients[i] = gradient;
        }

        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        for (int e = 0; e < dy.Length; e++)
        {
            int best = 0;
            float bestValue = inputs[0]!.AsReadOnlySpan()[e];
            for (int i = 1; i < inputs.Length; i++)
            {
                float value = inputs[i]!.AsReadOnlySpan()[e];
                if (value < bestValue)
                {
                    best = i;
                    bestValue = value;
                }
            }

            inputGradients[best]!.AsSpan()[e] = dy[e];
        }
    }

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Minimum FromConfig(Config config) => new(config.GetString("name"));
}
