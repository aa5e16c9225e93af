using System.Globalization;

namespace NeuralNet.Training;

/// <summary>
/// Multiplies the optimizer's learning rate by <see cref="Factor"/> when a monitored quantity has stopped improving
/// (Keras 3 <c>ReduceLROnPlateau</c> semantics).
/// </summary>
/// <remarks>
/// An epoch improves when it beats the best value by more than <see cref="MinDelta"/>. After <see cref="Patience"/>
/// epochs without improvement the rate becomes <c>max(lr * factor, minLearningRate)</c> (when it is above the minimum),
/// then <see cref="Cooldown"/> epochs pass before counting again.
/// </remarks>
public sealed class ReduceLROnPlateau : MonitorCallback
{
    private readonly TextWriter? _output;
    private double _best;
    private int _wait;
    private int _cooldownCounter;

    /// <summary>Creates the callback with Keras' defaults.</summary>
    /// <param name="monitor">The logged quantity to watch.</param>
    /// <param name="factor">The multiplier applied to the learning rate, in [0, 1): 0 (accepted by Keras, which refuses only
    /// factors >= 1) drops the rate straight to <paramref name="minLearningRate"/>.</param>
    /// <param name="patience">Epochs without improvement before reducing; non-negative.</param>
    /// <param name="mode">Whether the quantity should decrease or increase.</param>
    /// <param name="minDelta">The smallest change that counts as an improvement; non-negative.</param>
    /// <param name="cooldown">Epochs to wait after a reduction before counting again; non-negative.</param>
    /// <param name="minLearningRate">The lower bound of the learning rate; non-negative.</param>
    /// <param name="verbose">When positive, writes a message on every reduction.</param>
    /// <param name="output">Where messages go; <see cref="Console.Out"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range; the message names it.</exception>
    public ReduceLROnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 10, MonitorMode mode = MonitorMode.Auto,
        double minDelta = 1e-4, int cooldown = 0, double minLearningRate = 0, int verbose = 0, TextWriter? output = null)
        : base(monitor, mode, minDelta)
    {
        // Keras refuses factor >= 1 only; a negative factor would act as 0 there (max(lr * factor, min_lr) = min_lr), so it
        // is refused as the mistake it most likely is.
        if (!(factor >= 0 && factor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, string.Create(CultureInfo.InvariantCulture, $"ReduceLROnPlateau does not support a factor >= 1 or < 0 (0 drops the rate to minLearningRate). Received: factor={factor}."));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        if (!(minLearningRate >= 0) || double.IsInfinity(minLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate, "minLearningRate must be non-negative and finite.");
        }

        Factor = factor;
        Patience = patience;
        Cooldown = cooldown;
        MinLearningRate = minLearningRate;
        Verbose = verbose;
        _output = output;
    }


    /// <summary>The learning-rate multiplier.</summary>
    public double Factor { get; }

    /// <summary>Epochs without improvement before a reduction.</summary>
    public int Patience { get; }


    /// <summary>The smallest change that counts as an improvement.</summary>
    public double MinDelta => ImprovementThreshold;

    /// <summary>Epochs to wait after a reduction.</summary>
    public int Cooldown { get; }

    /// <summary>The lower bound of the learning rate.</summary>
    public double MinLearningRate { get; }

    /// <summary>Verbosity: 0 silent.</summary>
    public int Verbose { get; }

    /// <inheritdoc/>
    /// <remarks>Also refuses an optimizer whose rate follows a <see cref="Optimizers.Optimizer.Schedule"/>: Keras refuses to
    /// set such a rate too, but only when the first reduction is due, epochs into training; here nothing has trained yet.</remarks>
    internal override void CheckBeforeFit(IReadOnlySet<string> keys)
    {
        base.CheckBeforeFit(keys);
        if (Model?.Optimizer is { Schedule: { } schedule } optimizer)
        {
            throw new InvalidOperationException($"ReduceLROnPlateau cannot lower the learning rate: the learning rate of {optimizer.Name} follows its schedule ({schedule.Name}) and cannot be set (Keras: an optimizer created with a LearningRateSchedule has a learning rate that is not settable). Give the optimizer a fixed learning rate, or drop the callback and let the schedule decay the rate.");
        }
    }

    /// <inheritdoc/>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        _best = Maximizes ? double.NegativeInfinity : double.PositiveInfinity;
        _wait = 0;
        _cooldownCounter = 0;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);

        // Keras skips an epoch without the monitored value (one not validated), cooldown included.
        if (!TryReadMonitor(logs, out double current))
        {
            return;
        }

        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            _wait = 0;
        }

        if (IsImprovement(current, _best))
        {
            _best = current;
            _wait = 0;
            return;
        }

        if (_cooldownCounter > 0)
        {
            return;
        }

        _wait++;
        if (_wait >= Patience)
        {
            Optimizers.Optimizer optimizer = Model!.Optimizer!;
            double oldRate = optimizer.LearningRate;
            if (oldRate > (float)MinLearningRate)
            {
                double newRate = Math.Max(oldRate * Factor, MinLearningRate);
                optimizer.LearningRate = (float)newRate;
                if (Verbose > 0)
                {
                    // Keras prints new_lr, the float64 max(old_lr · factor, min_lr) from the float32 rate, before it is
                    // stored as float32 (0.1f · 0.1 prints 0.010000000149011612, the rate kept is 0.01f).
                    (_output ?? Console.Out).WriteLine(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {newRate}."));
                }

                _cooldownCounter = Cooldown;
                _wait = 0;
            }
        }
    }

    /// <inheritdoc/>
    internal override bool LogsLearningRate => true;
}
