using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The element-wise largest of its inputs (Keras' <c>Maximum</c>). The output's gradient goes, element by element, to the
/// input that holds the largest value (the first such input on ties); the other inputs get 0 there.
/// </summary>
/// <remarks>
/// Masks, as in Keras 3: the largest is taken over the inputs that are real at a position (a position masked in every
/// input keeps the first input's value), and the gradient goes to the input whose value the output holds.
/// </remarks>
public sealed class Maximum : Merge
{
    private Tensor? _output;
    private Tensor?[] _gradients = [];

    /// <summary>Creates an element-wise largest.</summary>
    /// <param name="name">The layer's name; the model names it <c>maximum</c>, ... when null.</param>
    public Maximum(string? name = null)
        : base(name)
    {
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "maximum";

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Maximum FromConfig(Config config) => new(config.GetString("name"));

    /// <inheritdoc/>
    protected override Tensor Combine(ReadOnlySpan<Tensor> inputs)
    {
        Tensor output = Buffer(ref _output, inputs[0].Shape[0]);
        Extremum.Combine(inputs, LastMasks, Features, output.AsSpan(), largest: true);
        return output;
    }

    /// <inheritdoc/>
    protected override void Distribute(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        if (_gradients.Length != inputGradients.Length)
        {
            _gradients = new Tensor?[inputGradients.Length];
        }

        for (int i = 0; i < inputGradients.Length; i++)
        {
            inputGradients[i] = Buffer(ref _gradients[i], outputGradient.Shape[0]);
        }

        Extremum.Distribute(LastInputs, LastMasks, Features, outputGradient.AsReadOnlySpan(), inputGradients, largest: true);
    }
}
