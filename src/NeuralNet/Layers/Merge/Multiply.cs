using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Multiplies its inputs element by element (Keras' <c>Multiply</c>): <c>y = x1 * x2 * ...</c>; the gradient of each
/// input is the output's gradient times the product of the other inputs (a gate, in attention-like blocks).
/// </summary>
/// <remarks>
/// Masks, as in Keras 3: a masked position of an input counts as 1, so the product comes from the inputs that are real
/// there; when every input has a mask, a position masked in all of them is 0 and the output's mask is the inputs' ORed.
/// </remarks>
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
        if (AnyMasked)
        {
            CombineMasked(inputs, y);
            return output;
        }

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

        ReadOnlySpan<Tensor?> masks = LastMasks;
        int features = Features;
        for (int i = 0; i < inputs.Length; i++)
        {
            // dy/dx_i = product of the other inputs, a masked position of one of them counting as 1; 0 where x_i itself
            // is masked, since Keras replaced it by the constant 1 there.
            Tensor gradient = Buffer(ref _gradients[i], outputGradient.Shape[0]);
            Span<float> g = gradient.AsSpan();
            outputGradient.AsReadOnlySpan().CopyTo(g);
            for (int j = 0; j < inputs.Length; j++)
            {
                if (j != i)
                {
                    MultiplyReal(g, inputs[j]!.AsReadOnlySpan(), masks[j], features);
                }
            }

            if (masks[i] is Tensor own)
            {
                ReadOnlySpan<float> m = own.AsReadOnlySpan();
                for (int r = 0; r < m.Length; r++)
                {
                    if (m[r] == 0f)
                    {
                        g.Slice(r * features, features).Clear();
                    }
                }
            }

            inputGradients[i] = gradient;
        }
    }

    // Keras 3 (multiply.py): a masked position of an input is replaced by 1, so the product there is that of the
    // inputs that are real; when every input has a mask, positions masked in all of them are set to 0. Multiplying by 1
    // is exact, so skipping a masked row gives Keras' value, and the factors keep the unmasked product's order.
    private void CombineMasked(ReadOnlySpan<Tensor> inputs, Span<float> y)
    {
        ReadOnlySpan<Tensor?> masks = LastMasks;
        int features = Features;
        if (masks[0] is Tensor first)
        {
            ReadOnlySpan<float> m = first.AsReadOnlySpan(), x = inputs[0].AsReadOnlySpan();
            for (int r = 0; r < m.Length; r++)
            {
                Span<float> row = y.Slice(r * features, features);
                if (m[r] != 0f)
                {
                    x.Slice(r * features, features).CopyTo(row);
                }
                else
                {
                    row.Fill(1f);
                }
            }
        }
        else
        {
            inputs[0].AsReadOnlySpan().CopyTo(y);
        }

        for (int i = 1; i < inputs.Length; i++)
        {
            MultiplyReal(y, inputs[i].AsReadOnlySpan(), masks[i], features);
        }

        if (AllMasked)
        {
            int rows = y.Length / features;
            for (int r = 0; r < rows; r++)
            {
                bool real = false;
                foreach (Tensor? mask in masks)
                {
                    real |= mask!.AsReadOnlySpan()[r] != 0f;
                }

                if (!real)
                {
                    y.Slice(r * features, features).Clear();
                }
            }
        }
    }

    // destination *= x where x is real; the masked rows of x count as 1 and leave destination as it is.
    private static void MultiplyReal(Span<float> destination, ReadOnlySpan<float> x, Tensor? mask, int features)
    {
        if (mask is null)
        {
            TensorPrimitives.Multiply(destination, x, destination);
            return;
        }

        ReadOnlySpan<float> m = mask.AsReadOnlySpan();
        for (int r = 0; r < m.Length; r++)
        {
            if (m[r] != 0f)
            {
                Span<float> row = destination.Slice(r * features, features);
                TensorPrimitives.Multiply(row, x.Slice(r * features, features), row);
            }
        }
    }

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Multiply FromConfig(Config config) => new(config.GetString("name"));
}
