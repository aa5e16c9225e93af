using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>AdamW</c>: <see cref="Adam"/> with decoupled weight decay (Loshchilov and Hutter), 0.004 unless given: before
/// each update w ← w − w·weightDecay·learningRate, then Adam's update (with <c>amsGrad</c>, AMSGrad's). See
/// <see cref="Optimizer.WeightDecay"/>, which cannot be set to null here (Keras raises for <c>weight_decay=None</c>).
/// </summary>
/// <example><c>var adamw = new AdamW(0.001f, weightDecay: 0.01f) { WeightDecayExclusions = ["bias", "gamma", "beta"] };</c></example>
public sealed class AdamW : MomentOptimizer
{
    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; non-negative and finite.</param>
    /// <param name="weightDecay">The decoupled weight decay; non-negative.</param>
    /// <param name="beta1">The decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">The decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the root of the second moment; non-negative.</param>
    /// <param name="amsGrad">Whether to use the AMSGrad variant (Keras <c>amsgrad</c>), as <see cref="Adam.AmsGrad"/>: an
    /// extra slot <c>velocity_hat</c>. Keras default false.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range (the message names it).</exception>
    public AdamW(double learningRate = 0.001, double weightDecay = 0.004, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7, bool amsGrad = false)
        : base(learningRate, beta1, beta2, epsilon, amsGrad)
    {
        SetDefaultWeightDecay(weightDecay);
    }

    /// <inheritdoc/>
    public override string Name => "adamw";

    /// <inheritdoc/>
    private protected override bool RequiresWeightDecay => true;

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
}
