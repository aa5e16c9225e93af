using System.Numerics;

namespace NeuralNet.Activations;

/// <summary>
/// Keras' <c>relu</c> with its optional settings, as the <c>ReLU</c> layer applies it:
/// <c>f(x) = (x &gt; threshold ? min(x, maxValue) : 0) + negativeSlope * min(x - threshold, 0)</c>.
/// </summary>
/// <remarks>Internal: the layer owns these settings and saves them; as an activation function, Keras' <c>relu</c> has none.</remarks>
internal sealed class ReluVariant(float? maxValue, float negativeSlope, float threshold) : ActivationFunction
{
    public override string Name => "relu";

    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        float max = maxValue ?? float.PositiveInfinity, slope = negativeSlope, t = threshold;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vt = new Vector<float>(t);
            var vmax = new Vector<float>(max);
            var vslope = new Vector<float>(slope);
            for (; i <= input.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var x = new Vector<float>(input[i..]);
                Vector<float> positive = Vector.ConditionalSelect(Vector.GreaterThan(x, vt), Vector.Min(x, vmax), Vector<float>.Zero);
                (positive + (vslope * Vector.Min(x - vt, Vector<float>.Zero))).CopyTo(output[i..]);
            }
        }

        for (; i < input.Length; i++)
        {
            float x = input[i];
            output[i] = (x > t ? MathF.Min(x, max) : 0f) + (slope * MathF.Min(x - t, 0f));
        }
    }

    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        float max = maxValue ?? float.PositiveInfinity, slope = negativeSlope, t = threshold;
        for (int i = 0; i < input.Length; i++)
        {
            float x = input[i];
            float derivative = x > t ? (x < max ? 1f : 0f) : x < t ? slope : 0f;
            inputGradient[i] = outputGradient[i] * derivative;
        }
    }
}
