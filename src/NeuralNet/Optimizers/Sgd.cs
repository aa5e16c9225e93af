using System.Numerics;
using System.Runtime.InteropServices;

using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// Stochastic gradient descent, optionally with (Nesterov) momentum, as Keras 3's <c>SGD</c>.
/// </summary>
/// <remarks>
/// Without momentum: <c>w -= lr * g</c>. With momentum: <c>v = momentum * v - lr * g; w += v</c>;
/// with Nesterov: <c>v = momentum * v - lr * g; w += momentum * v - lr * g</c>. State: <c>momentum</c> (only when momentum &gt; 0).
/// </remarks>
public sealed class Sgd : Optimizer
{
    private static readonly string[] s_momentumSlots = ["momentum"];

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; positive. Keras default 0.01.</param>
    /// <param name="momentum">The momentum in [0, 1]; 0 is plain gradient descent.</param>
    /// <param name="nesterov">Whether to apply Nesterov momentum.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is outside its range; the message names it.</exception>
    public Sgd(float learningRate = 0.01f, float momentum = 0f, bool nesterov = false)
        : base(learningRate)
    {
        Momentum = ValidateUnitInterval(momentum, nameof(momentum), inclusiveOne: true);
        Nesterov = nesterov;
    }

    /// <inheritdoc/>
    public override string Name => "sgd";

    /// <summary>The momentum coefficient.</summary>
    public float Momentum { get; }

    /// <summary>Whether Nesterov momentum is applied.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => Momentum != 0f ? s_momentumSlots : [];

    /// <inheritdoc/>
    private protected override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
    {
        float lr = LearningRate;
        if (Momentum == 0f)
        {
            UpdatePlain(values, gradient, lr);
            return;
        }

        Span<float> velocity = slots[0].AsSpan();
        float mu = Momentum;
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            Span<Vector<float>> vw = MemoryMarshal.Cast<float, Vector<float>>(values);
            ReadOnlySpan<Vector<float>> vg = MemoryMarshal.Cast<float, Vector<float>>(gradient);
            Span<Vector<float>> vv = MemoryMarshal.Cast<float, Vector<float>>(velocity);
            var vmu = new Vector<float>(mu);
            var vlr = new Vector<float>(lr);
            for (int j = 0; j < vw.Length; j++)
            {
                Vector<float> scaledGradient = vg[j] * vlr;
                Vector<float> v = (vv[j] * vmu) - scaledGradient;
                vv[j] = v;
                vw[j] += Nesterov ? (v * vmu) - scaledGradient : v;
            }

            i = vw.Length * Vector<float>.Count;
        }

        for (; i < values.Length; i++)
        {
            float scaledGradient = gradient[i] * lr;
            float v = (velocity[i] * mu) - scaledGradient;
            velocity[i] = v;
            values[i] += Nesterov ? (v * mu) - scaledGradient : v;
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("momentum", Momentum).Set("nesterov", Nesterov);

    private static void UpdatePlain(Span<float> values, ReadOnlySpan<float> gradient, float lr)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            Span<Vector<float>> vw = MemoryMarshal.Cast<float, Vector<float>>(values);
            ReadOnlySpan<Vector<float>> vg = MemoryMarshal.Cast<float, Vector<float>>(gradient);
            var vlr = new Vector<float>(lr);
            for (int j = 0; j < vw.Length; j++)
            {
                vw[j] -= vg[j] * vlr;
            }

            i = vw.Length * Vector<float>.Count;
        }

        for (; i < values.Length; i++)
        {
            values[i] -= gradient[i] * lr;
        }
    }
}
