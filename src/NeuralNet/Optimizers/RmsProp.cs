using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
    /// <param name="learningRate">The step size; non-negative. Keras default 0.001.</param>
    /// <param name="rho">The decay of the squared-gradient average, in [0, 1]: Keras checks nothing, and 1 (the average
    /// stays at 0, so every step is lr·g / √ε) is well defined; outside [0, 1] the average can turn negative and Keras'
    /// step is NaN.</param>
    /// <param name="momentum">The momentum, non-negative and finite; 0 disables it. Keras checks nothing and above 1 the
    /// step grows without bound, as Keras' does; a negative momentum, which Keras silently ignores
    /// (<c>if self.momentum &gt; 0</c>), is refused.</param>
    /// <param name="epsilon">The stabilizer added under the square root; non-negative and finite.</param>
    /// <param name="centered">Whether to normalize by the estimated variance of the gradient.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is outside its range (NaN and infinities included);
    /// the message names it and the value.</exception>
    public RmsProp(double learningRate = 0.001, double rho = 0.9, double momentum = 0, double epsilon = 1e-7, bool centered = false)
        : base(learningRate)
    {
        Rho = ValidateUnitInterval(rho, nameof(rho), inclusiveOne: true);
        _oneMinusRho = (float)(1.0 - AsWritten(rho));
        Momentum = !Float32Hyperparameter.IsNonNegative(momentum, out float nonNegativeMomentum)
            ? throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"momentum must be a non-negative finite number (0 for none; Keras would silently ignore a negative one). Received: momentum={Float32Hyperparameter.Format(momentum)}.")
            : nonNegativeMomentum;
        Epsilon = ValidateNonNegative(epsilon, nameof(epsilon));
        Centered = centered;
        var slots = new List<string> { "velocity" };
        if (Momentum > 0f)
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

    /// <summary>The decay of the squared-gradient average, as float32 (the value given, rounded to float32).</summary>
    public float Rho { get; }

    /// <summary>The momentum coefficient (0: none), as float32 (the value given, rounded to float32).</summary>
    public float Momentum { get; }

    /// <summary>The stabilizer added under the square root, as float32 (the value given, rounded to float32).</summary>
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
        var terms = new Terms(StepLearningRate, Rho, _oneMinusRho, Epsilon);
        Span<float> velocity = slots[0].AsSpan();
        bool hasMomentum = Momentum > 0f;
        if (Centered && hasMomentum)
        {
            ElementwiseUpdate.Run(values, gradient, velocity, slots[1].AsSpan(), slots[2].AsSpan(), new CenteredMomentumRule(terms, Momentum));
        }
        else if (Centered)
        {
            ElementwiseUpdate.Run(values, gradient, velocity, slots[1].AsSpan(), new CenteredRule(terms));
        }
        else if (hasMomentum)
        {
            ElementwiseUpdate.Run(values, gradient, velocity, slots[1].AsSpan(), new MomentumRule(terms, Momentum));
        }
        else
        {
            ElementwiseUpdate.RunWide(values, gradient, velocity, default, default, new PlainRule(terms));
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("rho", Rho).Set("momentum", Momentum).Set("epsilon", Epsilon).Set("centered", Centered);

    // What the four variants share: the moving averages ρ·a + (1 − ρ)·x (flushed to 0 below the smallest normal float, as
    // every decaying slot is, see ElementwiseUpdate.FlushToZero) and the step lr·g / √(d + ε).
    private readonly struct Terms(float lr, float rho, float oneMinusRho, float epsilon)
    {
        private readonly Vector<float> _lr = new(lr), _rho = new(rho), _oneMinusRho = new(oneMinusRho), _epsilon = new(epsilon);
        private readonly Vector512<float> _lr512 = Vector512.Create(lr), _rho512 = Vector512.Create(rho),
            _oneMinusRho512 = Vector512.Create(oneMinusRho), _epsilon512 = Vector512.Create(epsilon);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Average(Vector<float> average, Vector<float> x) =>
            ElementwiseUpdate.FlushToZero((_rho * average) + (_oneMinusRho * x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Average(Vector512<float> average, Vector512<float> x) =>
            ElementwiseUpdate.FlushToZero((_rho512 * average) + (_oneMinusRho512 * x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Average(float average, float x) => ElementwiseUpdate.FlushToZero((rho * average) + (oneMinusRho * x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Step(Vector<float> g, Vector<float> d) =>
            (_lr * g) / Vector.SquareRoot(d + _epsilon);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Step(Vector512<float> g, Vector512<float> d) =>
            (_lr512 * g) / Vector512.Sqrt(d + _epsilon512);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Step(float g, float d) => (lr * g) / MathF.Sqrt(d + epsilon);
    }

    // Slots: velocity. w −= lr·g / √(v + ε). Keras' default RMSprop, so also written for 512-bit vectors (its square root
    // and division made the 256-bit loop 1.4-1.6x slower over a 784 x 512 kernel).
    private readonly struct PlainRule(Terms terms) : IWideElementwiseUpdate
    {
        public static int SlotCount => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Apply(Vector512<float> value, Vector512<float> input, ref Vector512<float> velocity, ref Vector512<float> slot1, ref Vector512<float> slot2)
        {
            Vector512<float> v = terms.Average(velocity, input * input);
            velocity = v;
            return value - terms.Step(input, v);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> velocity, ref Vector<float> slot1, ref Vector<float> slot2)
        {
            Vector<float> v = terms.Average(velocity, input * input);
            velocity = v;
            return value - terms.Step(input, v);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float velocity, ref float slot1, ref float slot2)
        {
            float v = terms.Average(velocity, input * input);
            velocity = v;
            return value - terms.Step(input, v);
        }
    }

    // Slots: velocity, momentum. m = μ·m + step; w −= m.
    private readonly struct MomentumRule(Terms terms, float mu) : IElementwiseUpdate
    {
        private readonly Vector<float> _mu = new(mu);

        public static int SlotCount => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> velocity, ref Vector<float> momentum, ref Vector<float> slot2)
        {
            Vector<float> v = terms.Average(velocity, input * input);
            velocity = v;
            Vector<float> m = ElementwiseUpdate.FlushToZero((_mu * momentum) + terms.Step(input, v));
            momentum = m;
            return value - m;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float velocity, ref float momentum, ref float slot2)
        {
            float v = terms.Average(velocity, input * input);
            velocity = v;
            float m = ElementwiseUpdate.FlushToZero((mu * momentum) + terms.Step(input, v));
            momentum = m;
            return value - m;
        }
    }

    // Slots: velocity, average_gradient. w −= lr·g / √(v − a² + ε).
    private readonly struct CenteredRule(Terms terms) : IElementwiseUpdate
    {
        public static int SlotCount => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> velocity, ref Vector<float> average, ref Vector<float> slot2)
        {
            Vector<float> v = terms.Average(velocity, input * input);
            Vector<float> a = terms.Average(average, input);
            velocity = v;
            average = a;
            return value - terms.Step(input, v - (a * a));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float velocity, ref float average, ref float slot2)
        {
            float v = terms.Average(velocity, input * input);
            float a = terms.Average(average, input);
            velocity = v;
            average = a;
            return value - terms.Step(input, v - (a * a));
        }
    }

    // Slots: velocity, momentum, average_gradient.
    private readonly struct CenteredMomentumRule(Terms terms, float mu) : IElementwiseUpdate
    {
        private readonly Vector<float> _mu = new(mu);

        public static int SlotCount => 3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> velocity, ref Vector<float> momentum, ref Vector<float> average)
        {
            Vector<float> v = terms.Average(velocity, input * input);
            Vector<float> a = terms.Average(average, input);
            velocity = v;
            average = a;
            Vector<float> m = ElementwiseUpdate.FlushToZero((_mu * momentum) + terms.Step(input, v - (a * a)));
            momentum = m;
            return value - m;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float velocity, ref float momentum, ref float average)
        {
            float v = terms.Average(velocity, input * input);
            float a = terms.Average(average, input);
            velocity = v;
            average = a;
            float m = ElementwiseUpdate.FlushToZero((mu * momentum) + terms.Step(input, v - (a * a)));
            momentum = m;
            return value - m;
        }
    }
}
