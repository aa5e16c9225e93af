using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// Adam, exactly as Keras 3 computes it: the bias correction is folded into the learning rate and
/// epsilon is Kingma and Ba's "epsilon hat" (added to the square root, not inside it).
/// </summary>
/// <remarks>
/// At step <c>t</c> (1-based): <c>alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)</c>;
/// <c>m += (g - m) * (1 - beta1)</c>; <c>v += (g^2 - v) * (1 - beta2)</c>; <c>w -= alpha * m / (sqrt(v) + epsilon)</c>.
/// State: <c>momentum</c> (m) and <c>velocity</c> (v). With <see cref="AmsGrad"/> (Reddi et al., 2018), also
/// <c>velocity_hat</c>, the largest v so far: <c>v_hat = max(v_hat, v)</c> after v's update, and the step divides by
/// <c>sqrt(v_hat) + epsilon</c> instead.
/// </remarks>
public sealed class Adam : MomentOptimizer
{
    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; non-negative. Keras default 0.001.</param>
    /// <param name="beta1">The decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">The decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">The stabilizer added to sqrt(v); non-negative.</param>
    /// <param name="amsGrad">Whether to use the AMSGrad variant (Keras <c>amsgrad</c>): divide by the root of the largest
    /// velocity so far, kept in an extra slot <c>velocity_hat</c>. Keras default false.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is outside its range; the message names it.</exception>
    public Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7, bool amsGrad = false)
        : base(learningRate, beta1, beta2, epsilon, amsGrad)
    {
    }

    /// <inheritdoc/>
    public override string Name => "adam";

    /// <summary>Whether the AMSGrad variant is used (Keras <c>amsgrad</c>): the step divides by the root of the largest velocity so far.</summary>
    public bool AmsGrad => TracksMaxVelocity;

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => AdamSlotNames;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("amsgrad", AmsGrad);

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step) =>
        AdamUpdate(values, gradient, slots);

    /// <inheritdoc/>
    private protected override void BeginUpdates(long step, float learningRate) => BeginAdamUpdates(step, learningRate);

    /// <summary>
    /// Adam's rule (shared with <see cref="AdamW"/>): m += (g − m)(1 − β1), v += (g² − v)(1 − β2), w −= α·m / (√v + ε),
    /// with the bias-corrected step α. Slots: momentum, velocity, each flushed to 0 below the smallest normal float
    /// (<see cref="ElementwiseUpdate.FlushToZero(float)"/>).
    /// </summary>
    internal readonly struct Rule(float alpha, float oneMinusBeta1, float oneMinusBeta2, float epsilon) : IWideElementwiseUpdate
    {
        // Broadcast once per call: the driver keeps these in registers across its loop.
        private readonly Vector<float> _alpha = new(alpha), _oneMinusBeta1 = new(oneMinusBeta1), _oneMinusBeta2 = new(oneMinusBeta2), _epsilon = new(epsilon);
        private readonly Vector512<float> _alpha512 = Vector512.Create(alpha), _oneMinusBeta1512 = Vector512.Create(oneMinusBeta1),
            _oneMinusBeta2512 = Vector512.Create(oneMinusBeta2), _epsilon512 = Vector512.Create(epsilon);

        public static int SlotCount => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> m, ref Vector<float> v, ref Vector<float> slot2)
        {
            Vector<float> mNew = ElementwiseUpdate.FlushToZero(m + ((input - m) * _oneMinusBeta1));
            Vector<float> vNew = ElementwiseUpdate.FlushToZero(v + (((input * input) - v) * _oneMinusBeta2));
            m = mNew;
            v = vNew;
            return value - ((mNew * _alpha) / (Vector.SquareRoot(vNew) + _epsilon));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Apply(Vector512<float> value, Vector512<float> input, ref Vector512<float> m, ref Vector512<float> v, ref Vector512<float> slot2)
        {
            Vector512<float> mNew = ElementwiseUpdate.FlushToZero(m + ((input - m) * _oneMinusBeta1512));
            Vector512<float> vNew = ElementwiseUpdate.FlushToZero(v + (((input * input) - v) * _oneMinusBeta2512));
            m = mNew;
            v = vNew;
            return value - ((mNew * _alpha512) / (Vector512.Sqrt(vNew) + _epsilon512));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float m, ref float v, ref float slot2)
        {
            float mNew = ElementwiseUpdate.FlushToZero(m + ((input - m) * oneMinusBeta1));
            float vNew = ElementwiseUpdate.FlushToZero(v + (((input * input) - v) * oneMinusBeta2));
            m = mNew;
            v = vNew;
            return value - ((mNew * alpha) / (MathF.Sqrt(vNew) + epsilon));
        }
    }

    /// <summary>
    /// Adam's AMSGrad rule (Keras <c>amsgrad=True</c>, shared with <see cref="AdamW"/>): m and v as in <see cref="Rule"/>,
    /// then v̂ = max(v̂, v) and w −= α·m / (√v̂ + ε). Slots: momentum, velocity, velocity_hat. v̂ needs no flush: it is the
    /// maximum of flushed, non-negative velocities, so it is never subnormal.
    /// </summary>
    /// <remarks>
    /// The maximum is IEEE 754:2019's in all three forms: a NaN velocity makes v̂ NaN, as NumPy's, PyTorch's and JAX's
    /// maximum do, so a NaN gradient is not forgotten on the next step. <see cref="MathF.Max(float, float)"/> and, from
    /// .NET 9, the vector maxima are so; on .NET 8 the vector maxima return the second operand for a NaN first one (the
    /// x86 instruction), so there a NaN is put back by hand (<see cref="PropagateNaN(Vector{float}, Vector{float}, Vector{float})"/>).
    /// </remarks>
    internal readonly struct AmsGradRule(float alpha, float oneMinusBeta1, float oneMinusBeta2, float epsilon) : IWideElementwiseUpdate
    {
        private readonly Vector<float> _alpha = new(alpha), _oneMinusBeta1 = new(oneMinusBeta1), _oneMinusBeta2 = new(oneMinusBeta2), _epsilon = new(epsilon);
        private readonly Vector512<float> _alpha512 = Vector512.Create(alpha), _oneMinusBeta1512 = Vector512.Create(oneMinusBeta1),
            _oneMinusBeta2512 = Vector512.Create(oneMinusBeta2), _epsilon512 = Vector512.Create(epsilon);

        public static int SlotCount => 3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> m, ref Vector<float> v, ref Vector<float> vHat)
        {
            Vector<float> mNew = ElementwiseUpdate.FlushToZero(m + ((input - m) * _oneMinusBeta1));
            Vector<float> vNew = ElementwiseUpdate.FlushToZero(v + (((input * input) - v) * _oneMinusBeta2));
            Vector<float> vHatNew = PropagateNaN(vHat, vNew, Vector.Max(vHat, vNew));
            m = mNew;
            v = vNew;
            vHat = vHatNew;
            return value - ((mNew * _alpha) / (Vector.SquareRoot(vHatNew) + _epsilon));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Apply(Vector512<float> value, Vector512<float> input, ref Vector512<float> m, ref Vector512<float> v, ref Vector512<float> vHat)
        {
            Vector512<float> mNew = ElementwiseUpdate.FlushToZero(m + ((input - m) * _oneMinusBeta1512));
            Vector512<float> vNew = ElementwiseUpdate.FlushToZero(v + (((input * input) - v) * _oneMinusBeta2512));
            Vector512<float> vHatNew = PropagateNaN(vHat, vNew, Vector512.Max(vHat, vNew));
            m = mNew;
            v = vNew;
            vHat = vHatNew;
            return value - ((mNew * _alpha512) / (Vector512.Sqrt(vHatNew) + _epsilon512));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float m, ref float v, ref float vHat)
        {
            float mNew = ElementwiseUpdate.FlushToZero(m + ((input - m) * oneMinusBeta1));
            float vNew = ElementwiseUpdate.FlushToZero(v + (((input * input) - v) * oneMinusBeta2));
            float vHatNew = MathF.Max(vHat, vNew);
            m = mNew;
            v = vNew;
            vHat = vHatNew;
            return value - ((mNew * alpha) / (MathF.Sqrt(vHatNew) + epsilon));
        }

        // NaN where either operand is NaN (their sum is then NaN), else the maximum: the IEEE maximum on every runtime.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector<float> PropagateNaN(Vector<float> a, Vector<float> b, Vector<float> max) =>
#if NET9_0_OR_GREATER
            max;
#else
            Vector.ConditionalSelect(Vector.Equals(a, a) & Vector.Equals(b, b), max, a + b);
#endif

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> PropagateNaN(Vector512<float> a, Vector512<float> b, Vector512<float> max) =>
#if NET9_0_OR_GREATER
            max;
#else
            Vector512.ConditionalSelect(Vector512.Equals(a, a) & Vector512.Equals(b, b), max, a + b);
#endif
    }
}
