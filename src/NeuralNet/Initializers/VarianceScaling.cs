using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>
/// Keras' <c>VarianceScaling</c>: samples whose variance adapts to the weight's shape. With n = max(1, fan), where the fan
/// is fanIn, fanOut or (fanIn + fanOut) / 2 as <see cref="Mode"/> says (<see cref="Fans.Compute"/>), the values are a normal
/// of standard deviation sqrt(scale / n), truncated at two standard deviations (its standard deviation before truncation
/// divided by 0.87962566103423978, Keras' constant) or not, or a uniform in ±sqrt(3 scale / n).
/// </summary>
/// <remarks>
/// <see cref="GlorotUniform"/>, <see cref="GlorotNormal"/>, <see cref="HeUniform"/>, <see cref="HeNormal"/>,
/// <see cref="LeCunUniform"/> and <see cref="LeCunNormal"/> are this initializer with fixed settings, and draw the same values
/// from the same seed; as in Keras they are saved under their own names.
/// </remarks>
public sealed class VarianceScaling : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="scale">The scaling factor, positive and finite (Keras default 1).</param>
    /// <param name="mode">The fan the scale is divided by (Keras default <c>"fan_in"</c>).</param>
    /// <param name="distribution">What is sampled (Keras default <c>"truncated_normal"</c>).</param>
    /// <param name="seed">A seed that overrides the one the layer derives from the model's seed; null to use the layer's.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scale"/> is not positive and finite, or <paramref name="mode"/> or
    /// <paramref name="distribution"/> is not a defined value.</exception>
    public VarianceScaling(
        double scale = 1.0,
        VarianceScalingMode mode = VarianceScalingMode.FanIn,
        VarianceScalingDistribution distribution = VarianceScalingDistribution.TruncatedNormal,
        long? seed = null)
    {
        if (!(scale > 0) || double.IsInfinity(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, $"VarianceScaling expects a positive, finite scale but got scale={scale}.");
        }

        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, $"VarianceScaling expects mode FanIn, FanOut or FanAverage but got mode={mode}.");
        }

        if (!Enum.IsDefined(distribution))
        {
            throw new ArgumentOutOfRangeException(
                nameof(distribution), distribution, $"VarianceScaling expects distribution TruncatedNormal, UntruncatedNormal or Uniform but got distribution={distribution}.");
        }

        Scale = scale;
        Mode = mode;
        Distribution = distribution;
        Seed = seed;
    }

    /// <summary>The scaling factor.</summary>
    public double Scale { get; }

    /// <summary>The fan the scale is divided by.</summary>
    public VarianceScalingMode Mode { get; }

    /// <summary>What is sampled.</summary>
    public VarianceScalingDistribution Distribution { get; }

    /// <summary>The initializer's own seed, or null when the layer's seed is used.</summary>
    public long? Seed { get; }

    /// <inheritdoc/>
    public override string Name => "variance_scaling";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed)
    {
        switch (Distribution)
        {
            case VarianceScalingDistribution.TruncatedNormal:
                RandomFill.FillTruncatedNormal(values, shape, Seed ?? seed, Scale, Mode);
                break;
            case VarianceScalingDistribution.UntruncatedNormal:
                RandomFill.FillNormal(values, shape, Seed ?? seed, Scale, Mode);
                break;
            default:
                RandomFill.FillUniform(values, shape, Seed ?? seed, Scale, Mode);
                break;
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() =>
        new Config().Set("scale", Scale).Set("mode", ModeName(Mode)).Set("distribution", DistributionName(Distribution)).Set("seed", Seed);

    /// <summary>Keras' name of a mode: <c>"fan_in"</c>, <c>"fan_out"</c> or <c>"fan_avg"</c>.</summary>
    internal static string ModeName(VarianceScalingMode mode) => mode switch
    {
        VarianceScalingMode.FanIn => "fan_in",
        VarianceScalingMode.FanOut => "fan_out",
        _ => "fan_avg",
    };

    /// <summary>Keras' name of a distribution: <c>"truncated_normal"</c>, <c>"untruncated_normal"</c> or <c>"uniform"</c>.</summary>
    internal static string DistributionName(VarianceScalingDistribution distribution) => distribution switch
    {
        VarianceScalingDistribution.TruncatedNormal => "truncated_normal",
        VarianceScalingDistribution.UntruncatedNormal => "untruncated_normal",
        _ => "uniform",
    };

    /// <summary>Reads a Keras configuration: <c>mode</c> exactly as Keras accepts it, <c>distribution</c> in any case, <c>"normal"</c> read as <c>"truncated_normal"</c> (as Keras does).</summary>
    internal static VarianceScaling FromConfig(Config config)
    {
        Config d = config.WithDefaults(new VarianceScaling().GetConfig());
        string mode = d.GetString("mode");
        VarianceScalingMode readMode = mode switch
        {
            "fan_in" => VarianceScalingMode.FanIn,
            "fan_out" => VarianceScalingMode.FanOut,
            "fan_avg" => VarianceScalingMode.FanAverage,
            _ => throw d.Error($"VarianceScaling \"mode\" is \"{FormatError.Shorten(mode)}\"; expected \"fan_in\", \"fan_out\" or \"fan_avg\"."),
        };
        string distribution = d.GetString("distribution");
        VarianceScalingDistribution readDistribution = distribution.ToLowerInvariant() switch
        {
            "truncated_normal" or "normal" => VarianceScalingDistribution.TruncatedNormal,
            "untruncated_normal" => VarianceScalingDistribution.UntruncatedNormal,
            "uniform" => VarianceScalingDistribution.Uniform,
            _ => throw d.Error($"VarianceScaling \"distribution\" is \"{FormatError.Shorten(distribution)}\"; expected \"truncated_normal\", \"untruncated_normal\" or \"uniform\"."),
        };
        double scale = d.GetDouble("scale");
        return !(scale > 0) || double.IsInfinity(scale)
            ? throw d.Error(System.FormattableString.Invariant($"VarianceScaling \"scale\" is {scale}; expected a positive, finite number."))
            : new VarianceScaling(scale, readMode, readDistribution, d.GetNullableInt64("seed"));
    }
}
