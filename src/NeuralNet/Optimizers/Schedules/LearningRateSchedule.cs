using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Optimizers.Schedules;

/// <summary>
/// A learning rate that changes with the optimizer's step (Keras' <c>LearningRateSchedule</c>): give one to an optimizer's
/// <see cref="Optimizer.Schedule"/> and each step uses <see cref="Rate"/> of the number of steps taken before it (0 for the first).
/// </summary>
/// <example><c>var adam = new Adam { Schedule = new CosineDecay(0.001, decaySteps: 10_000) };</c></example>
public abstract class LearningRateSchedule
{
    /// <summary>Keras' class name, written in saved files.</summary>
    public abstract string Name { get; }

    /// <summary>The learning rate for the step that follows <paramref name="step"/> completed steps.</summary>
    /// <remarks>An optimizer calls it once per step, on the thread that calls <see cref="Optimizer.Step"/>, and uses the
    /// value for every parameter of that step (worker threads included).</remarks>
    public abstract double Rate(long step);

    /// <summary>The hyper-parameters under Keras' names.</summary>
    public abstract Config GetConfig();

    /// <summary>Creates a built-in schedule from a Keras <c>{"class_name", "config"}</c> object.</summary>
    /// <exception cref="InvalidDataException">The class is unknown or its configuration invalid.</exception>
    internal static LearningRateSchedule FromConfig(Config wrapper)
    {
        string name = wrapper.GetString("class_name");
        Config c = wrapper.GetConfig("config");
        try
        {
            return name switch
            {
                // Step counts are read as numbers, integral or not: Keras writes what the user passed (decay_steps=1.0 in
                // InverseTimeDecay's docstring) and its formulas divide by them in floating point.
                "ExponentialDecay" => new ExponentialDecay(c.GetDouble("initial_learning_rate"), c.GetDouble("decay_steps"), c.GetDouble("decay_rate"), c.GetBoolean("staircase", false)),
                "InverseTimeDecay" => new InverseTimeDecay(c.GetDouble("initial_learning_rate"), c.GetDouble("decay_steps"), c.GetDouble("decay_rate"), c.GetBoolean("staircase", false)),
                "PolynomialDecay" => new PolynomialDecay(c.GetDouble("initial_learning_rate"), c.GetDouble("decay_steps"), c.GetDouble("end_learning_rate", 0.0001),
                    c.GetDouble("power", 1.0), c.GetBoolean("cycle", false)),
                "PiecewiseConstantDecay" => new PiecewiseConstantDecay(ReadBoundaries(c), c.GetDoubleArray("values")),
                "CosineDecay" => new CosineDecay(c.GetDouble("initial_learning_rate"), c.GetDouble("decay_steps"), c.GetDouble("alpha", 0.0),
                    c.Contains("warmup_target") && c.GetNode("warmup_target") is not null ? c.GetDouble("warmup_target") : null, c.GetDouble("warmup_steps", 0)),
                "CosineDecayRestarts" => new CosineDecayRestarts(c.GetDouble("initial_learning_rate"), c.GetDouble("first_decay_steps"), c.GetDouble("t_mul", 2.0),
                    c.GetDouble("m_mul", 1.0), c.GetDouble("alpha", 0.0)),
                _ => throw wrapper.Error($"\"class_name\" \"{FormatError.Shorten(name)}\" is not a learning-rate schedule NeuralNet knows (ExponentialDecay, InverseTimeDecay, PolynomialDecay, PiecewiseConstantDecay, CosineDecay, CosineDecayRestarts)."),
            };
        }
        catch (ArgumentException ex)
        {
            throw c.Error(ex.Message, ex);
        }
    }

    /// <summary>Keras' <c>{"class_name", "config"}</c> object for this schedule.</summary>
    internal Config Serialize() => new Config().Set("class_name", Name).Set("config", GetConfig().Set("name", DefaultName));

    /// <summary>
    /// The <c>name</c> Keras gives the schedule by default, written in its configuration: the class name, except
    /// <c>PiecewiseConstant</c> and <c>SGDRDecay</c> (CosineDecayRestarts).
    /// </summary>
    private protected virtual string DefaultName => Name;

    // PiecewiseConstantDecay's boundaries: integers, or numbers that Keras casts to the step's integer type (toward zero).
    private static long[] ReadBoundaries(Config c)
    {
        if (c.GetNode("boundaries") is not JsonArray array)
        {
            throw c.Error($"\"boundaries\" must be an array of numbers but is {Config.Describe(c.GetNode("boundaries"))}.");
        }

        var boundaries = new long[array.Count];
        for (int i = 0; i < boundaries.Length; i++)
        {
            boundaries[i] = array[i] is JsonValue value && value.TryGetValue(out long whole) ? whole
                : array[i] is JsonValue number && number.TryGetValue(out double d) && double.IsFinite(d) && Math.Abs(d) < 9.2e18 ? (long)Math.Truncate(d)
                : throw c.Error(string.Create(CultureInfo.InvariantCulture, $"\"boundaries\"[{i}] must be a step number but is {Config.Describe(array[i])}."));
        }

        return boundaries;
    }

    /// <summary>Writes a step count as an integer when it is whole (as files have always had it), else as a number.</summary>
    private protected static Config SetSteps(Config config, string key, double steps) =>
        steps == Math.Floor(steps) && Math.Abs(steps) < 9.2e18 ? config.Set(key, (long?)(long)steps) : config.Set(key, steps);

    /// <summary>Requires a positive finite step count.</summary>
    private protected static double PositiveSteps(double steps, string parameterName) =>
        steps > 0 && double.IsFinite(steps) ? steps : throw new ArgumentOutOfRangeException(parameterName, steps, string.Create(CultureInfo.InvariantCulture, $"{parameterName} must be a finite number > 0 but is {steps}."));

    /// <summary>Requires a finite value.</summary>
    private protected static double Finite(double value, string parameterName) =>
        double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(parameterName, value, $"{parameterName} must be finite.");

    private protected static double NonNegative(double value, string parameterName) =>
        value >= 0 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(parameterName, value, string.Create(CultureInfo.InvariantCulture, $"{parameterName} must be a non-negative finite number but is {value}."));

    private protected static double Positive(double value, string parameterName) =>
        value > 0 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(parameterName, value, string.Create(CultureInfo.InvariantCulture, $"{parameterName} must be a positive finite number but is {value}."));

    private protected static double AtLeast(double value, double minimum, string parameterName, string why) =>
        value >= minimum && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(parameterName, value, string.Create(CultureInfo.InvariantCulture, $"{parameterName} must be a finite number >= {minimum} but is {value}: {why}."));

    private protected static double UnitInterval(double value, string parameterName) =>
        value >= 0 && value <= 1
            ? value
            : throw new ArgumentOutOfRangeException(parameterName, value, string.Create(CultureInfo.InvariantCulture, $"{parameterName} must be in [0, 1] but is {value}: outside it the decayed rate leaves [alpha · initial, initial] and can turn negative."));
}
