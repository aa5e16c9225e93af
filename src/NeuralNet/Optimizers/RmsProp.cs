using System.Numerics;
using System.Runtime.InteropServices;

using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// RMSprop as Keras 3 computes it: a moving average of squared gradients divides the step; plain (not Nesterov)
/// momentum; optionally centered (divides by an estimate of the gradient's variance instead).
/// </summary>
/// <remarks>
/// <c>v = rho * v + (1 - rho) * g^2</c>; centered: <c>a = rho * a + (1 - rho) * g</c> and <c>d = v - a^2 + epsilon</c>,
/// otherwise <c>d = v + epsilon</c>; <c>step = lr * g / sqrt(d)</c>; with momentum <c>m = momentum * m + step; w -= m</c>,
/// otherwise <c>w -= step</c>. State: <c>velocity</c>, then <c>momentum</c> (momentum &gt; 0), then <c>average_gradient</c> (centered).
/// </remarks>
public sealed class RmsProp : Optimizer
{
    private readonly string[] _slots;

    // 1 - rho computed in float64 from rho as written (see AsWritten), once.
    private readonly float _oneMinusRho;

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; positive. Keras default 0.001.</param>
    /// <param name="rho">The decay of the squared-gradient average, in [0, 1).</param>
    /// <param name="momentum">The momentum in [0, 1]; 0 disables it.</param>
    /// <param name="epsilon">The stabilizer added under the square root; non-negative.</param>
    /// <param name="centered">Whether to normalize by the estimated variance of the gradient.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is outside its range; the message names it.</exception>
    public RmsProp(float learningRate = 0.001f, float rho = 0.9f, float momentum = 0f, float epsilon = 1e-7f, bool centered = false)
        : base(learningRate)
    {
        Rho = ValidateUnitInterval(rho, nameof(rho), inclusiveOne: false);
        _oneMinusRho = (float)(1.0 - AsWritten(rho));
        Momentum = ValidateUnitInterval(momentum, nameof(momentum), inclusiveOne: true);
        Epsilon = ValidateNonNegative(epsilon, nameof(epsilon));
        Centered = centered;
        var slots = new List<string> { "velocity" };
        if (momentum > 0f)
        {
            slots.Add("momentum");
        }

        if (centered)
        {
            slots.Add("average_gradient");
        }

        _slots = [.. slots];
    }

    /// <inheritdoc/>
    public override string Name => "rmsprop";

    /// <summary>The decay of the squared-gradient average.</summary>
    public float Rho { get; }

    /// <summary>The momentum coefficient (0: none).</summary>
    public float Momentum { get; }

    /// <summary>The stabilizer added under the square root.</summary>
    public float Epsilon { get; }

    /// <summary>Whether the centered variant is used.</summary>
    public bool Centered { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => _slots;

    /// <inheritdoc/>
    private protected override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
    {
        Span<float> velocity = slots[0].AsSpan();
        bool hasMomentum = Momentum > 0f;
        Span<float> momentum = hasMomentum ? slots[1].AsSpan() : default;
        Span<float> average = Centered ? slots[hasMomentum ? 2 : 1].AsSpan() : default;
        float lr = LearningRate;
        float rho = Rho;
        float oneMinusRho = _oneMinusRho;
        float mu = Momentum;
        float epsilon = Epsilon;
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            Span<Vector<float>> vw = MemoryMarshal.Cast<float, Vector<float>>(values);
            ReadOnlySpan<Vector<float>> vg = MemoryMarshal.Cast<float, Vector<float>>(gradient);
            Span<Vector<float>> vv = MemoryMarshal.Cast<float, Vector<float>>(velocity);
            Span<Vector<float>> vm = MemoryMarshal.Cast<float, Vector<float>>(momentum);
            Span<Vector<float>> va = MemoryMarshal.Cast<float, Vector<float>>(average);
            var vrho = new Vector<float>(rho);
            var v1mrho = new Vector<float>(oneMinusRho);
            var vlr = new Vector<float>(lr);
            var vmu = new Vector<float>(mu);
            var veps = new Vector<float>(epsilon);
            for (int j = 0; j < vw.Length; j++)
            {
                Vector<float> g = vg[j];
                Vector<float> v = (vrho * vv[j]) + (v1mrho * (g * g));
                vv[j] = v;
                Vector<float> denominator;
                if (Centered)
                {
                    Vector<float> a = (vrho * va[j]) + (v1mrho * g);
                    va[j] = a;
                    denominator = v - (a * a) + veps;
                }
                else
                {
                    denominator = v + veps;
                }

                Vector<float> increment = (vlr * g) / Vector.SquareRoot(denominator);
                if (hasMomentum)
                {
                    Vector<float> m = (vmu * vm[j]) + increment;
                    vm[j] = m;
                    vw[j] -= m;
                }
                else
                {
                    vw[j] -= increment;
                }
            }

            i = vw.Length * Vector<float>.Count;
        }

        for (; i < values.Length; i++)
        {
            float g = gradient[i];
            float v = (rho * velocity[i]) + (oneMinusRho * (g * g));
            velocity[i] = v;
            float denominator;
            if (Centered)
            {
                float a = (rho * average[i]) + (oneMinusRho * g);
                average[i] = a;
                denominator = v - (a * a) + epsilon;
            }
            else
            {
                denominator = v + epsilon;
            }

            float increment = (lr * g) / MathF.Sqrt(denominator);
            if (hasMomentum)
            {
                float m = (mu * momentum[i]) + increment;
                momentum[i] = m;
                values[i] -= m;
            }
            else
            {
                values[i] -= increment;
            }
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("rho", Rho).Set("momentum", Momentum).Set("epsilon", Epsilon).Set("centered", Centered);
}
