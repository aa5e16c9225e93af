using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Adds its inputs element by element (Keras' <c>Add</c>): <c>y = x1 + x2 + ...</c>, the merge of a residual connection.
/// Every input gets the output's gradient.
/// </summary>
/// <remarks>
/// Masks do not change the values, as in Keras 3 (a masked step is usually 0 already, the sum's neutral value); the
/// output's mask is the inputs' ORed, or none when an input has none (<see cref="Merge"/>).
/// </remarks>
/// <example><c>SymbolicTensor sum = new Add().Call(shortcut, branch);</c></example>
public sealed class Add : Merge
{
    private Tensor? _output;

    /// <summary>Creates an addition.</summary>
    /// <param name="name">The layer's name; the model names it <c>add</c>, <c>add_1</c>, ... when null.</param>
    public Add(string? name = null)
        : base(name)
    {
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "add";

    /// <inheritdoc/>
    protected override Tensor Combine(ReadOnlySpan<Tensor> inputs)
    {
        Tensor output = Buffer(ref _output, inputs[0].Shape[0]);
        Span<float> y = output.AsSpan();
        if (inputs.Length == 1)
        {
            inputs[0].AsReadOnlySpan().CopyTo(y);
            return output;
        }

        TensorPrimitives.Add(inputs[0].AsReadOnlySpan(), inputs[1].AsReadOnlySpan(), y);
        for (int i = 2; i < inputs.Length; i++)
        {
            TensorPrimitives.Add(y, inputs[i].AsReadOnlySpan(), y);
        }

        return output;
    }

    /// <inheritdoc/>
    protected override void Distribute(Tensor outputGradient, Span<Tensor?> inputGradients) => inputGradients.Fill(outputGradient);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Add FromConfig(Config config) => new(config.GetString("name"));
}
