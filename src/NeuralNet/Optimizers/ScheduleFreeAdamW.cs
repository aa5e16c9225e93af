using System.Numerics;
using System.Runtime.CompilerServices;

using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>ScheduleFreeAdamW</c> (Defazio et al., 2024, "The road less scheduled"): Adam's second moment without a
/// learning-rate schedule; the weights interpolate between the gradient steps <c>z</c> and their running average
/// <c>x</c>, which is what to evaluate. Call <see cref="SwapToEval"/> before evaluating or exporting the model, and
/// <see cref="SwapToTrain"/> before training again.
/// </summary>
/// <remarks>
/// <para>During training the parameters hold y = (1 − β1)·z + β1·x. At step t, with <c>lr</c> times
/// <c>min(t / warmupSteps, 1)</c> during warmup (<c>keras/src/optimizers/schedule_free_adamw.py</c>, float32 as Keras):
/// <c>v += (g² − v)(1 − β2)</c>; <c>z −= lr·g / (√(v / (1 − β2^t)) + ε)</c>; <c>x_old = (y − (1 − β1)·z_old) / β1</c>;
/// <c>x = (1 − 1/t)·x_old + (1/t)·z</c>; <c>y = (1 − β1)·z + β1·x</c>. State: <c>z</c> (starting at the parameter's value)
/// and <c>velocity</c>. Weight decay, when set, is applied to y before the step, as Keras' base optimizer does.</para>
/// <para>A model saved in eval mode holds x; its configuration records the mode (a key Keras does not write), so the
/// loaded optimizer, with its z, brings back y on <see cref="SwapToTrain"/>. With <see cref="Optimizer.UseEma"/>, the
/// weights at the end of <c>Fit</c> are the moving average of y, as in Keras, and the swaps read them as y.</para>
/// </remarks>
public sealed class ScheduleFreeAdamW : Optimizer
{
    private static readonly string[] s_slots = ["z", "velocity"];
    private float _rate;
    private float _secondMomentCorrection;
    private float _averageWeight;

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; non-negative and finite (Keras default 0.0025).</param>
    /// <param name="beta1">The interpolation between z and x at which gradients are taken, in (0, 1].</param>
    /// <param name="beta2">The decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">The stabilizer added to the corrected √v; non-negative.</param>
    /// <param name="warmupSteps">The number of steps over which the rate rises linearly from 0; at least 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range (the message names it).</exception>
    public ScheduleFreeAdamW(double learningRate = 0.0025, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, int warmupSteps = 0)
        : base(learningRate)
    {
        // Checked as float32, the value used: 1e-50 would be 0.
        if (!((float)beta1 > 0f && (float)beta1 <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(beta1), beta1, $"beta1 must be in (0, 1]; x is recovered from y by dividing by it. Received: beta1={Float32Hyperparameter.Format(beta1)}.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        Beta1 = (float)beta1;
        Beta2 = ValidateUnitInterval(beta2, nameof(beta2), inclusiveOne: false);
        Epsilon = ValidateNonNegative(epsilon, nameof(epsilon));
        WarmupSteps = warmupSteps;
    }

    /// <inheritdoc/>
    public override string Name => "schedule_free_adamw";

    /// <summary>The interpolation between z and x at which gradients are taken (Keras <c>beta_1</c>), as float32 (the value given, rounded to float32).</summary>
    public float Beta1 { get; }

    /// <summary>The decay of the second-moment estimate (Keras <c>beta_2</c>), as float32 (the value given, rounded to float32).</summary>
    public float Beta2 { get; }

    /// <summary>The stabilizer (Keras <c>epsilon</c>), as float32 (the value given, rounded to float32).</summary>
    public float Epsilon { get; }

    /// <summary>The number of warmup steps (Keras <c>warmup_steps</c>).</summary>
    public int WarmupSteps { get; }

    /// <summary>Whether the parameters hold the training point y (true, the start) or the average x (after <see cref="SwapToEval"/>).</summary>
    public bool IsTrainingMode { get; private set; } = true;

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    /// <inheritdoc/>
    private protected override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    private protected override bool SlotStartsAtValue(int slot) => slot == 0;

    /// <summary>
    /// Puts the average x in every parameter that has state: x = (y − (1 − β1)·z) / β1 (Keras' <c>swap_to_eval</c>). Does
    /// nothing when already in eval mode.
    /// </summary>
    public void SwapToEval()
    {
        if (!IsTrainingMode || !HasState)
        {
            return;
        }

        // Predictions may keep a packed copy of a kernel (Dense); the weights change here.
        Layers.InferencePass.Renew();
        float oneMinusBeta1 = 1f - Beta1;
        foreach ((Parameter parameter, string slot, Tensor z) in GetStateTensors())
        {
            if (slot == s_slots[0])
            {
                Span<float> values = parameter.Value.AsSpan();
                ReadOnlySpan<float> zs = z.AsReadOnlySpan();
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (values[i] - (oneMinusBeta1 * zs[i])) / Beta1;
                }
            }
        }

        IsTrainingMode = false;
    }

    /// <summary>
    /// Puts the training point y back in every parameter that has state: y = (1 − β1)·z + β1·x (Keras' <c>swap_to_train</c>).
    /// Does nothing when already in training mode.
    /// </summary>
    public void SwapToTrain()
    {
        if (IsTrainingMode)
        {
            return;
        }

        Layers.InferencePass.Renew();
        float oneMinusBeta1 = 1f - Beta1;
        foreach ((Parameter parameter, string slot, Tensor z) in GetStateTensors())
        {
            if (slot == s_slots[0])
            {
                Span<float> values = parameter.Value.AsSpan();
                ReadOnlySpan<float> zs = z.AsReadOnlySpan();
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (oneMinusBeta1 * zs[i]) + (Beta1 * values[i]);
                }
            }
        }

        IsTrainingMode = true;
    }

    /// <inheritdoc/>
    internal override void CheckCanStep()
    {
        if (!IsTrainingMode && !HasState)
        {
            // Nothing was swapped (a model loaded without state, or a fresh optimizer): the weights are the training point.
            IsTrainingMode = true;
        }

        if (!IsTrainingMode)
        {
            throw new InvalidOperationException($"{Name} is in eval mode (its parameters hold the average x, after SwapToEval); call SwapToTrain before training. Nothing was run.");
        }
    }

    /// <inheritdoc/>
    private protected override void BeginUpdates(long step, float learningRate)
    {
        // Keras, in float32: lr · min(t / warmup, 1); 1 − β2^t; weight = 1 / t.
        float t = step;
        _rate = WarmupSteps > 0 ? learningRate * MathF.Min(t / WarmupSteps, 1f) : learningRate;
        _secondMomentCorrection = 1f - MathF.Pow(Beta2, t);
        _averageWeight = 1f / t;
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step) =>
        ElementwiseUpdate.Run(values, gradient, slots[0].AsSpan(), slots[1].AsSpan(), new Rule(_rate, Beta1, Beta2, Epsilon, _secondMomentCorrection, _averageWeight));

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = base.GetConfig().Set("beta_1", Beta1).Set("beta_2", Beta2).Set("epsilon", Epsilon).Set("warmup_steps", WarmupSteps);

        // Not a Keras key (Keras does not save the mode): written only in eval mode, so that a model saved holding x is
        // loaded knowing it, and SwapToTrain brings back y.
        return IsTrainingMode ? config : config.Set("is_training_mode", false);
    }

    /// <summary>Sets the mode a saved configuration records (<c>is_training_mode</c>, written only in eval mode).</summary>
    internal ScheduleFreeAdamW ReadMode(Config config)
    {
        IsTrainingMode = !config.Contains("is_training_mode") || config.GetBoolean("is_training_mode");
        return this;
    }

    // Slots: z, velocity (flushed to 0 below the smallest normal float). Keras casts the betas to float32 before taking
    // 1 − β, so the complements are float32 differences.
    private readonly struct Rule(float lr, float beta1, float beta2, float epsilon, float correction, float weight) : IElementwiseUpdate
    {
        private readonly float _oneMinusBeta1 = 1f - beta1, _oneMinusBeta2 = 1f - beta2, _oneMinusWeight = 1f - weight;

        public static int SlotCount => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> z, ref Vector<float> velocity, ref Vector<float> slot2)
        {
            Vector<float> v = ElementwiseUpdate.FlushToZero(velocity + (((input * input) - velocity) * new Vector<float>(_oneMinusBeta2)));
            velocity = v;
            Vector<float> denominator = Vector.SquareRoot(v / new Vector<float>(correction)) + new Vector<float>(epsilon);
            Vector<float> zOld = z;
            Vector<float> zNew = zOld - ((new Vector<float>(lr) * input) / denominator);
            z = zNew;
            Vector<float> xOld = (value - (new Vector<float>(_oneMinusBeta1) * zOld)) / new Vector<float>(beta1);
            Vector<float> xNew = (new Vector<float>(_oneMinusWeight) * xOld) + (new Vector<float>(weight) * zNew);
            return (new Vector<float>(_oneMinusBeta1) * zNew) + (new Vector<float>(beta1) * xNew);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float z, ref float velocity, ref float slot2)
        {
            float v = ElementwiseUpdate.FlushToZero(velocity + (((input * input) - velocity) * _oneMinusBeta2));
            velocity = v;
            float denominator = MathF.Sqrt(v / correction) + epsilon;
            float zOld = z;
            float zNew = zOld - ((lr * input) / denominator);
            z = zNew;
            float xOld = (value - (_oneMinusBeta1 * zOld)) / beta1;
            float xNew = (_oneMinusWeight * xOld) + (weight * zNew);
            return (_oneMinusBeta1 * zNew) + (beta1 * xNew);
        }
    }
}
