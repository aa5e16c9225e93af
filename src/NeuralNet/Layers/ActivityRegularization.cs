using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Passes its input through unchanged and adds an L1/L2 penalty on it to the loss (Keras <c>ActivityRegularization</c>):
/// <c>(l1·Σ|x| + l2·Σx²) / batch size</c> in training and in <c>Evaluate</c>, its gradient added to the input's. The
/// layer's <see cref="Layer.ActivityRegularizer"/> is that <see cref="L1L2"/>. No parameters; masks pass through.
/// </summary>
/// <example><c>model.Add(new ActivityRegularization(l1: 1e-5));</c></example>
public sealed class ActivityRegularization : Layer
{
    // The penalty l1 and l2 describe: the one the configuration saves, so the layer refuses to run with another.
    private readonly L1L2 _penalty;

    /// <summary>Creates the layer.</summary>
    /// <param name="l1">The L1 factor, finite and at least 0 (Keras' default 0).</param>
    /// <param name="l2">The L2 factor, finite and at least 0 (Keras' default 0).</param>
    /// <param name="name">The layer's name; the model names it <c>activity_regularization</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor is negative, infinite or NaN.</exception>
    public ActivityRegularization(double l1 = 0.0, double l2 = 0.0, string? name = null)
        : base(name)
    {
        _penalty = new L1L2(l1, l2);
        L1 = l1;
        L2 = l2;
        SetActivityRegularizer(_penalty);
    }

    /// <summary>The L1 factor.</summary>
    public double L1 { get; }

    /// <summary>The L2 factor.</summary>
    public double L2 { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "activity_regularization";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <summary>Keras' config: <c>l1</c> and <c>l2</c> in place of the base layer's <c>activity_regularizer</c>.</summary>
    /// <returns>The configuration.</returns>
    public override Config GetConfig() => base.GetConfig().Remove("activity_regularizer").Set("l1", L1).Set("l2", L2);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static ActivityRegularization FromConfig(Config config) =>
        new(config.GetDouble("l1", 0.0), config.GetDouble("l2", 0.0), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) =>
        ReferenceEquals(ActivityRegularizer, _penalty) ? inputShape
        : throw new InvalidOperationException($"{Describe()} takes its penalty from l1 and l2 (saved as such); its ActivityRegularizer was replaced. Give the factors to the constructor, or put the regularizer on a layer of another kind.");

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training) => input;

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
}
