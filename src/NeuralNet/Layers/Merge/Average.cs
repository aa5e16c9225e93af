using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Averages its inputs element by element (Keras' <c>Average</c>): <c>y = (x1 + ... + xn) / n</c>; every input gets the
/// output's gradient divided by n.
/// </summary>
/// <remarks>
/// Masks do not change the values, as in Keras 3: the sum is divided by n even where some inputs are masked; the
/// output's mask is the inputs' ORed, or none when an input has none (<see cref="Merge"/>).
/// </remarks>
public sealed class Average : Merge
{
    private Tensor? _output;
    private Tensor? _gradient;

    /// <summary>Creates an average.</summary>
    /// <param name="name">The layer's name; the model names it <c>average</c>, ... when null.</param>
    public Average(string? name = null)
        : base(name)
    {
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "average";

    /// <inheritdoc/>
    protected override Tensor Combine(ReadOnlySpan<Tensor> inputs)
    {
        Tensor output = Buffer(ref _output, inputs[0].Shape[0]);
        Span<float> y = output.AsSpan();
        inputs[0].AsReadOnlySpan().CopyTo(y);
        for (int i = 1; i < inputs.Length; i++)
        {
            TensorPrimitives.Add(y, inputs[i].AsReadOnlySpan(), y);
        }

        // Keras divides the sum by the number of inputs.
        TensorPrimitives.Divide(y, inputs.Length, y);
        return output;
    }

    /// <inheritdoc/>
    protected override void Distribute(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        Tensor gradient = Buffer(ref _gradient, outputGradient.Shape[0]);
        TensorPrimitives.Divide(outputGradient.AsReadOnlySpan(), inputGradients.Length, gradient.AsSpan());
        inputGradients.Fill(gradient);
    }

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Average FromConfig(Config config) => new(config.GetString("name"));
}
