using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Activations;

/// <summary>
/// Gaussian error linear unit: <c>f(x) = x Φ(x) = 0.5 x (1 + erf(x / √2))</c>, or with
/// <c>approximate</c>, <c>0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))</c>.
/// </summary>
/// <remarks>Keras' <c>gelu</c> defaults to the exact (erf) form, as here. Both forms run in float vectors on every machine
/// (<c>Kernels/GeluKernels.cs</c>): within 2 ulp of float of the exact formula, value and derivative, and the same bits
/// on every vector width. Below x = -14 the exact form gives -0 (GELU is a float denormal there, under 1.2e-43), and
/// the tanh form below about x = -10.04 (under 1e-37).</remarks>
public sealed class Gelu : ActivationFunction
{
    /// <summary>Creates a GELU.</summary>
    /// <param name="approximate">True for the tanh approximation; false (Keras' default) for the exact erf form.</param>
    public Gelu(bool approximate = false)
    {
        Approximate = approximate;
    }

    /// <summary>Whether the tanh approximation is used.</summary>
    public bool Approximate { get; }

    /// <inheritdoc/>
    public override string Name => "gelu";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        GeluKernels.Forward(input, output, Approximate);
    }

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        GeluKernels.Backward(input, outputGradient, inputGradient, Approximate);
    }

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("approximate", Approximate);
}
