using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// The base of the Adam family (<see cref="Adam"/>, <see cref="AdamW"/>, <see cref="Adamax"/>, <see cref="Nadam"/>): the
/// moment decays β1 and β2 and the stabilizer ε, validated once, kept as written (see <see cref="Optimizer.AsWritten(double)"/>)
/// with their complements computed once in float64 (as Keras' Adam, AdamW and Adamax take <c>1 - self.beta_1</c> in
/// Python; Nadam casts the betas to float32 first and keeps its own), and saved under Keras' names.
/// </summary>
public abstract class MomentOptimizer : Optimizer
{
    // beta2MayBeOne: Adamax's norm u = max(β2·u, |g|) is well defined at β2 = 1 (the largest |g| so far); Adam's
    // bias-corrected step would be 0 and Nadam's v̂ 0/0.
    private protected MomentOptimizer(double learningRate, double beta1, double beta2, double epsilon, bool amsGrad = false, bool beta2MayBeOne = false)
        : base(learningRate)
    {
        TracksMaxVelocity = amsGrad;
        Beta1 = ValidateUnitInterval(beta1, nameof(beta1), inclusiveOne: false);
        Beta2 = ValidateUnitInterval(beta2, nameof(beta2), inclusiveOne: beta2MayBeOne);
        Epsilon = ValidateNonNegative(epsilon, nameof(epsilon));
        // From the double given (a double with more digits than float32 holds is Keras' Python float as it is).
        Beta1AsWritten = AsWritten(beta1);
        Beta2AsWritten = AsWritten(beta2);
        OneMinusBeta1 = (float)(1.0 - Beta1AsWritten);
        OneMinusBeta2 = (float)(1.0 - Beta2AsWritten);
    }

    /// <summary>The decay of the first-moment estimate, as float32 (the value given, rounded to float32).</summary>
    public float Beta1 { get; }

    /// <summary>The decay of the second-moment estimate (of the infinity norm for Adamax), as float32.</summary>
    public float Beta2 { get; }

    /// <summary>The stabilizer added to the second moment's root (to the norm for Adamax), as float32.</summary>
    public float Epsilon { get; }

    /// <summary>β1 as the user wrote it, in float64 (see <see cref="Optimizer.AsWritten(double)"/>).</summary>
    private protected double Beta1AsWritten { get; }

    /// <summary>β2 as the user wrote it, in float64 (see <see cref="Optimizer.AsWritten(double)"/>).</summary>
    private protected double Beta2AsWritten { get; }

    /// <summary>1 − β1, computed in float64.</summary>
    private protected float OneMinusBeta1 { get; }

    /// <summary>1 − β2, computed in float64.</summary>
    private protected float OneMinusBeta2 { get; }

    /// <summary>Whether Adam's update divides by the running maximum of the velocity (AMSGrad; Adam and AdamW only).</summary>
    private protected bool TracksMaxVelocity { get; }

    /// <summary>Adam's and AdamW's slots under Keras' names: <c>momentum</c>, <c>velocity</c>, and <c>velocity_hat</c> with AMSGrad.</summary>
    private protected IReadOnlyList<string> AdamSlotNames => TracksMaxVelocity ? s_amsGradSlots : s_adamSlots;

    private static readonly string[] s_adamSlots = ["momentum", "velocity"];
    private static readonly string[] s_amsGradSlots = ["momentum", "velocity", "velocity_hat"];

    /// <inheritdoc/>
    private protected override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("beta_1", Beta1).Set("beta_2", Beta2).Set("epsilon", Epsilon);

    /// <summary>Adam's rule for the current step, made by <see cref="BeginAdamUpdates"/>.</summary>
    private Adam.Rule _adamRule;

    /// <summary>Adam's AMSGrad rule for the current step, made by <see cref="BeginAdamUpdates"/> when <see cref="TracksMaxVelocity"/>.</summary>
    private Adam.AmsGradRule _amsGradRule;

    /// <summary>Adam's bias-corrected step α = lr·√(1 − β2^t) / (1 − β1^t) for step <paramref name="step"/>, in float64, once per step (Adam and AdamW).</summary>
    private protected void BeginAdamUpdates(long step, float learningRate)
    {
        float alpha = (float)(learningRate * Math.Sqrt(1.0 - Math.Pow(Beta2AsWritten, step)) / (1.0 - Math.Pow(Beta1AsWritten, step)));
        if (TracksMaxVelocity)
        {
            _amsGradRule = new Adam.AmsGradRule(alpha, OneMinusBeta1, OneMinusBeta2, Epsilon);
        }
        else
        {
            _adamRule = new Adam.Rule(alpha, OneMinusBeta1, OneMinusBeta2, Epsilon);
        }
    }

    /// <summary>
    /// Adam's update of one parameter (slots: momentum, velocity, and velocity_hat with AMSGrad), for Adam and AdamW, with
    /// the rule of <see cref="BeginAdamUpdates"/>.
    /// </summary>
    private protected void AdamUpdate(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots)
    {
        if (TracksMaxVelocity)
        {
            ElementwiseUpdate.RunWide(values, gradient, slots[0].AsSpan(), slots[1].AsSpan(), slots[2].AsSpan(), _amsGradRule);
        }
        else
        {
            ElementwiseUpdate.RunWide(values, gradient, slots[0].AsSpan(), slots[1].AsSpan(), default, _adamRule);
        }
    }
}
