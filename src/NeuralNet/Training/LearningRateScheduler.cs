using System.Globalization;

namespace NeuralNet.Training;

/// <summary>
/// Sets the optimizer's learning rate at the start of every epoch from a function of the epoch (from 0) and the current
/// rate (Keras' <c>LearningRateScheduler</c>). For a rate that changes every step, give the optimizer a
/// <see cref="Optimizers.Optimizer.Schedule"/> instead.
/// </summary>
/// <example><c>new LearningRateScheduler((epoch, rate) => epoch &lt; 10 ? rate : rate * Math.Exp(-0.1))</c></example>
public sealed class LearningRateScheduler : Callback
{
    private readonly Func<int, double, double> _schedule;
    private readonly TextWriter? _output;

    /// <summary>Creates the callback.</summary>
    /// <param name="schedule">The new rate from the epoch (from 0) and the current rate; non-negative and finite (0 is
    /// allowed, as in Keras: the weights stay where they are for that epoch).</param>
    /// <param name="verbose">1 to print each change.</param>
    /// <param name="output">Where messages go; the console when null.</param>
    public LearningRateScheduler(Func<int, double, double> schedule, int verbose = 0, TextWriter? output = null)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        _schedule = schedule;
        Verbose = verbose;
        _output = output;
    }

    /// <summary>1 to print each change.</summary>
    public int Verbose { get; }

    /// <inheritdoc/>
    /// <remarks>Refuses an uncompiled model and an optimizer whose rate follows a <see cref="Optimizers.Optimizer.Schedule"/>
    /// (Keras refuses to set such a rate too, in the first epoch's <c>on_epoch_begin</c>): here before any callback has begun.</remarks>
    internal override void CheckBeforeFit(IReadOnlySet<string> keys)
    {
        Optimizers.Optimizer optimizer = Model?.Optimizer ?? throw new InvalidOperationException("LearningRateScheduler needs a compiled model.");
        if (optimizer.Schedule is { } schedule)
        {
            throw new InvalidOperationException($"LearningRateScheduler cannot set the learning rate: the learning rate of {optimizer.Name} follows its schedule ({schedule.Name}) and cannot be set (Keras: an optimizer created with a LearningRateSchedule has a learning rate that is not settable). Give the optimizer a fixed learning rate, or drop the callback and let the schedule set the rate. Nothing was trained.");
        }
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The model is not compiled, or its optimizer follows a <see cref="Optimizers.Optimizer.Schedule"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The schedule returned a negative, NaN or infinite rate, or one too large
    /// for float32: <c>ParamName</c> is <c>schedule</c>, <c>ActualValue</c> the rate, and the message names the epoch and
    /// the value; the optimizer's rate is left as it was.</exception>
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        Optimizers.Optimizer optimizer = Model?.Optimizer ?? throw new InvalidOperationException("LearningRateScheduler needs a compiled model.");
        double rate = _schedule(epoch, optimizer.LearningRate);
        // Keras accepts any float, 0 included (a frozen epoch); a negative, NaN or infinite rate would wreck the weights
        // without an error there. A finite double beyond float32's range would become infinity when set, so it is refused
        // here, with the value the schedule gave. A positive rate below float32's smallest value becomes 0.
        if (!(rate >= 0) || !float.IsFinite((float)rate))
        {
            // The schedule given to the constructor is what went wrong, not the logs of this call.
            throw new ArgumentOutOfRangeException("schedule", rate, string.Create(CultureInfo.InvariantCulture,
                $"LearningRateScheduler: the schedule returned {rate} for epoch {epoch}; a learning rate must be a non-negative finite number (as float32), 0 included."));
        }

        optimizer.LearningRate = rate == 0 ? 0f : (float)rate; // -0.0 is set as 0
        if (Verbose > 0)
        {
            // Keras prints the value the schedule returned, not the float32 rate it becomes.
            (_output ?? Console.Out).WriteLine(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {rate}."));
        }
    }

    /// <inheritdoc/>
    internal override bool LogsLearningRate => true;
}
