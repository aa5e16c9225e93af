using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The element-wise smallest of its inputs (Keras' <c>Minimum</c>). The output's gradient goes, element by element, to the
/// input that holds the smallest value (the first such input on ties); the other inputs get 0 there.
/// </summary>
/// <remarks>
/// Masks, as in Keras 3: the smallest is taken over the inputs that are real at a position (a position masked in every
/// input keeps the first input's value), and the gradient goes to the input whose value the output holds.
/// </remarks>
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

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Minimum FromConfig(Config config) => new(config.GetString("name"));

    /// <inheritdoc/>
    protected override Tensor Combine(ReadOnlySpan<Tensor> inputs)
    {
        Tensor output = Buffer(ref _output, inputs[0].Shape[0]);
        Extremum.Combine(inputs, LastMasks, Features, output.AsSpan(), largest: false);
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

        Extremum.Distribute(LastInputs, LastMasks, Features, outputGradient.AsReadOnlySpan(), inputGradients, largest: false);
    }
}
