using System.Numerics;
using System.Runtime.InteropServices;

namespace NeuralNet.Optimizers;

/// <summary>
/// Adam, exactly as Keras 3 computes it: the bias correction is folded into the learning rate and
/// epsilon is Kingma and Ba's "epsilon hat" (added to the square root, not inside it).
/// </summary>
/// <remarks>
/// At step <c>t</c> (1-based): <c>alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)</c>;
/// <c>m += (g - m) * (1 - beta1)</c>; <c>v += (g^2 - v) * (1 - beta2)</c>; <c>w -= alpha * m / (sqrt(v) + epsilon)</c>.
/// State: <c>momentum</c> (m) and <c>velocity</c> (v).
/// </remarks>
public sealed class Adam : MomentOptimizer
{
    private static readonly string[] s_slots = ["momentum", "velocity"];

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; positive. Keras default 0.001.</param>
    /// <param name="beta1">The decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">The decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">The stabilizer added to sqrt(v); non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is outside its range; the message names it.</exception>
    public Adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate, beta1, beta2, epsilon)
    {
    }

    /// <inheritdoc/>
    public override string Name => "adam";

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step) =>
        AdamUpdate(values, gradient, slots, step);

    /// <summary>
    /// Adam's fused update of one parameter: m += (g − m)(1 − β1), v += (g² − v)(1 − β2), w −= α·m / (√v + ε), with the
    /// bias-corrected step α (shared with <see cref="AdamW"/>).
    /// </summary>
    internal static void Apply(Span<float> values, ReadOnlySpan<float> gradient, Span<float> m, Span<float> v, float alpha, float oneMinusBeta1, float oneMinusBeta2, float epsilon)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            Span<Vector<float>> vw = MemoryMarshal.Cast<float, Vector<float>>(values);
            ReadOnlySpan<Vector<float>> vg = MemoryMarshal.Cast<float, Vector<float>>(gradient);
            Span<Vector<float>> vm = MemoryMarshal.Cast<float, Vector<float>>(m);
            Span<Vector<float>> vv = MemoryMarshal.Cast<float, Vector<float>>(v);
            var vb1 = new Vector<float>(oneMinusBeta1);
            var vb2 = new Vector<float>(oneMinusBeta2);
            var valpha = new Vector<float>(alpha);
            var veps = new Vector<float>(epsilon);
            for (int j = 0; j < vw.Length; j++)
            {
                Vector<float> g = vg[j];
                Vector<float> mj = vm[j] + ((g - vm[j]) * vb1);
                Vector<float> vj = vv[j] + (((g * g) - vv[j]) * vb2);
                vm[j] = mj;
                vv[j] = vj;
                vw[j] -= (mj * valpha) / (Vector.SquareRoot(vj) + veps);
            }

            i = vw.Length * Vector<float>.Count;
        }

        for (; i < values.Length; i++)
        {
            float g = gradient[i];
            float mi = m[i] + ((g - m[i]) * oneMinusBeta1);
            float vi = v[i] + (((g * g) - v[i]) * oneMinusBeta2);
            m[i] = mi;
            v[i] = vi;
            values[i] -= (mi * alpha) / (MathF.Sqrt(vi) + epsilon);
        }
    }

}
