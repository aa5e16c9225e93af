using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>AdamW</c>: <see cref="Adam"/> with decoupled weight decay (Loshchilov and Hutter), 0.004 unless given: before
/// each update w ← w − w·weightDecay·learningRate, then Adam's update. See <see cref="Optimizer.WeightDecay"/>.
/// </summary>
/// <example><c>var adamw = new AdamW(0.001f, weightDecay: 0.01f) { WeightDecayExclusions = ["bias", "gamma", "beta"] };</c></example>
public sealed class AdamW : Optimizer
{
    private static readonly string[] s_slots = ["momentum", "velocity"];
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly float _oneMinusBeta1;
    private readonly float _oneMinusBeta2;

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; positive and finite.</param>
    /// <param name="weightDecay">The decoupled weight decay; non-negative.</param>
    /// <param name="beta1">The decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">The decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the root of the second moment; non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range (the message names it).</exception>
    public AdamW(float learningRate = 0.001f, float weightDecay = 0.004f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate)
    {
        SetDefaultWeightDecay(weightDecay);
        Beta1 = ValidateUnitInterval(beta1, nameof(beta1), inclusiveOne: false);
        Beta2 = ValidateUnitInterval(beta2, nameof(beta2), inclusiveOne: false);
        Epsilon = ValidateNonNegative(epsilon, nameof(epsilon));
        _beta1 = AsWritten(beta1);
        _beta2 = AsWritten(beta2);
        _oneMinusBeta1 = (float)(1.0 - _beta1);
        _oneMinusBeta2 = (float)(1.0 - _beta2);
    }

    /// <inheritdoc/>
    public override string Name => "adamw";

    /// <summary>The decay of the first moment.</summary>
    public float Beta1 { get; }

    /// <summary>The decay of the second moment.</summary>
    public float Beta2 { get; }

    /// <summary>Added to the root of the second moment.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    /// <inheritdoc/>
    private protected override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
    {
        float alpha = (float)(LearningRate * Math.Sqrt(1.0 - Math.Pow(_beta2, step)) / (1.0 - Math.Pow(_beta1, step)));
        Adam.Apply(values, gradient, slots[0].AsSpan(), slots[1].AsSpan(), alpha, _oneMinusBeta1, _oneMinusBeta2, Epsilon);
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("beta_1", Beta1).Set("beta_2", Beta2).Set("epsilon", Epsilon);
}
