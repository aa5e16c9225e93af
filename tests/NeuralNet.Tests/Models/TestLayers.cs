using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;
using NeuralNet.Training;

namespace NeuralNet.Tests.Models;

/// <summary>
/// A user's own layer, as a user would write it: y = x * factor (one factor per feature), with an optional penalty on
/// the factor and no penalty code of its own; registered for saving under "Tests>Scale".
/// </summary>
public sealed class Scale : Layer
{
    private Parameter? _factor;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastInput;

    static Scale() => SerializationRegistry.Register("Tests>Scale", config => new Scale(config.GetDouble("l2", 0) is double l2 && l2 > 0 ? l2 : null, config.GetString("name")));

    public Scale(double? l2 = null, string? name = null)
        : base(name)
    {
        L2Factor = l2;
    }

    public double? L2Factor { get; }

    public Parameter Factor => _factor!;

    public override string DefaultNamePrefix => "scale";

    /// <summary>Runs the static constructor, which registers the type.</summary>
    public static void EnsureRegistered()
    {
    }

    public override Config GetConfig() => base.GetConfig().Set("l2", L2Factor ?? 0);

    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        _factor = AddParameter("factor", new TensorShape(inputShape[-1]), new RandomUniform(0.5, 1.5), L2Factor is double l2 ? new L2(l2) : null);
        return inputShape;
    }

    protected override Tensor OnForward(Tensor input, bool training)
    {
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan(), f = _factor!.Value.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = x[i] * f[i % f.Length];
        }

        _lastInput = input;
        return output;
    }

    protected override Tensor OnBackward(Tensor outputGradient)
    {
        ReadOnlySpan<float> x = _lastInput!.AsReadOnlySpan(), dy = outputGradient.AsReadOnlySpan(), f = _factor!.Value.AsReadOnlySpan();
        Span<float> df = _factor.Gradient.AsSpan();
        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        Span<float> dx = inputGradient.AsSpan();
        for (int i = 0; i < dy.Length; i++)
        {
            df[i % f.Length] += x[i] * dy[i];
            dx[i] = dy[i] * f[i % f.Length];
        }

        return inputGradient;
    }
}

/// <summary>A user's own metric: the mean absolute error, registered as "Tests>Mae".</summary>
public sealed class HandWrittenMae : Metric
{
    private double _sum;
    private long _count;

    static HandWrittenMae() => SerializationRegistry.Register("Tests>Mae", _ => new HandWrittenMae());

    public override string Name => "mae";

    public static void EnsureRegistered()
    {
    }

    public override void Reset() => (_sum, _count) = (0, 0);

    public override void Update(Tensor predictions, Tensor targets)
    {
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        for (int i = 0; i < p.Length; i++)
        {
            _sum += Math.Abs(p[i] - t[i]);
        }

        _count += p.Length;
    }

    public override double Result() => _count == 0 ? 0 : _sum / _count;
}

/// <summary>A layer nobody registered: saving a model that holds it must fail clearly.</summary>
public sealed class UnregisteredDouble : Layer
{
    public UnregisteredDouble(string? name = null)
        : base(name)
    {
    }

    public override string DefaultNamePrefix => "unregistered_double";

    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    protected override Tensor OnForward(Tensor input, bool training) => input * 2f;

    protected override Tensor OnBackward(Tensor outputGradient) => outputGradient * 2f;
}
