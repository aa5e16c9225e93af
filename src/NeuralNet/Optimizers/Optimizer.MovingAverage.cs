using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace NeuralNet.Optimizers;

public abstract partial class Optimizer
{
    private const float DefaultEmaMomentum = 0.99f;
    private bool _useEma;
    private float _emaMomentum = DefaultEmaMomentum;
    private int? _emaOverwriteFrequency;

    /// <summary>
    /// Whether the optimizer keeps an exponential moving average of every trainable parameter (Keras <c>use_ema</c>):
    /// after each step <c>average = EmaMomentum·average + (1 − EmaMomentum)·w</c> (the first step copies w). The averages
    /// replace the parameters every <see cref="EmaOverwriteFrequency"/> steps, and at the end of <c>Fit</c>.
    /// </summary>
    /// <example><c>var adam = new Adam { UseEma = true, EmaMomentum = 0.999 };</c></example>
    public bool UseEma
    {
        get => _useEma;
        init => _useEma = value;
    }

    /// <summary>The momentum of the moving average (Keras <c>ema_momentum</c>), in [0, 1]; 0.99 unless set. Used with <see cref="UseEma"/>.</summary>
    /// <remarks>A double (Keras' <c>ema_momentum=0.999</c>), kept and used as float32, so reading it gives the float32 value.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside [0, 1] as float32 (negative values, -1e-50
    /// included, too).</exception>
    public double EmaMomentum
    {
        get => _emaMomentum;
        init => _emaMomentum = ValidateUnitInterval(value, nameof(EmaMomentum), inclusiveOne: true);
    }

    /// <summary>
    /// With <see cref="UseEma"/>, the parameters are overwritten by their moving averages every this many iterations
    /// (Keras <c>ema_overwrite_frequency</c>, counted in <see cref="Iterations"/>); null (the default) overwrites them only
    /// at the end of <c>Fit</c>. At least 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int? EmaOverwriteFrequency
    {
        get => _emaOverwriteFrequency;
        init => EmaOverwriteFrequencyInit(value);
    }

    private void EmaOverwriteFrequencyInit(int? value) =>
        _emaOverwriteFrequency = value is int frequency and < 1
            ? throw new ArgumentOutOfRangeException(nameof(EmaOverwriteFrequency), frequency, string.Create(CultureInfo.InvariantCulture, $"EmaOverwriteFrequency must be an integer >= 1 or null. Received: EmaOverwriteFrequency={frequency}."))
            : value;

    /// <summary>
    /// Exchanges, in place, <paramref name="parameter"/>'s value with its moving average (Keras' <c>SwapEMAWeights</c>
    /// swap): twice restores both exactly. False, and nothing changes, when it has no average (no <see cref="UseEma"/>, or
    /// no step yet). Allocates nothing.
    /// </summary>
    internal bool SwapAverage(Parameter parameter)
    {
        if (!_useEma || !_state.TryGetValue(parameter, out ParameterState? state) || state.Average is not { } average)
        {
            return false;
        }

        Span<float> value = parameter.Value.AsSpan(), mean = average.AsSpan();
        for (int i = 0; i < value.Length; i++)
        {
            (value[i], mean[i]) = (mean[i], value[i]);
        }

        return true;
    }

    /// <summary>
    /// Keras' <c>finalize_variable_values</c>: with <see cref="UseEma"/>, every trainable parameter that has a moving
    /// average takes its value. <c>Fit</c> calls it after its last epoch.
    /// </summary>
    internal void FinalizeVariableValues(IReadOnlyList<Parameter> parameters)
    {
        if (!_useEma)
        {
            return;
        }

        foreach (Parameter parameter in parameters)
        {
            if (parameter.Trainable && _state.TryGetValue(parameter, out ParameterState? state))
            {
                state.Average!.CopyTo(parameter.Value);
            }
        }
    }

    // Keras writes use_ema, ema_momentum and ema_overwrite_frequency always; a null frequency is "none", and so is 0 (Keras
    // tests the frequency for truth: "if self.ema_overwrite_frequency"). As base_optimizer.py, the momentum and the
    // frequency are checked only with use_ema: without it they do nothing, and a value Keras would take but this
    // property refuses (a momentum of 1.5) is dropped rather than failing the load.
    private void ReadMovingAverage(Serialization.Config config)
    {
        try
        {
            _useEma = config.Contains("use_ema") && config.GetBoolean("use_ema");
            float? momentum = config.Contains("ema_momentum") ? config.GetSingle("ema_momentum") : null;
            int? frequency = config.Contains("ema_overwrite_frequency") ? config.GetInt32("ema_overwrite_frequency") : null;
            frequency = frequency == 0 ? null : frequency;
            if (!_useEma)
            {
                momentum = momentum is >= 0f and <= 1f ? momentum : null;
                frequency = frequency is >= 1 ? frequency : null;
            }

            _emaMomentum = momentum is float value ? ValidateUnitInterval(value, nameof(EmaMomentum), inclusiveOne: true) : DefaultEmaMomentum;
            EmaOverwriteFrequencyInit(frequency);
        }
        catch (ArgumentException ex)
        {
            throw config.Error(ex.Message, ex);
        }
    }

    // Keras' _update_model_variables_moving_average then, every EmaOverwriteFrequency iterations, the overwrite;
    // iterations is the count before this step. Keras' momentum is (iterations != 0)·ema_momentum, so the first step
    // makes the average the parameter itself.
    private void UpdateMovingAverage(Parameter parameter, Tensor average, long iterations)
    {
        float momentum = iterations != 0 ? _emaMomentum : 0f;
        ElementwiseUpdate.Run(average.AsSpan(), parameter.Value.AsReadOnlySpan(), new MovingAverageRule(momentum));
        if (_emaOverwriteFrequency is int frequency && (iterations + 1) % frequency == 0)
        {
            average.CopyTo(parameter.Value);
        }
    }

    // values: the average; input: the parameter. average = m·average + (1 − m)·w, in float32 as Keras computes it.
    private readonly struct MovingAverageRule(float momentum) : IElementwiseUpdate
    {
        private readonly float _oneMinusMomentum = 1f - momentum;
        private readonly Vector<float> _momentum = new(momentum), _vOneMinusMomentum = new(1f - momentum);

        public static int SlotCount => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> slot0, ref Vector<float> slot1, ref Vector<float> slot2) =>
            (_momentum * value) + (_vOneMinusMomentum * input);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float value, float input, ref float slot0, ref float slot1, ref float slot2) =>
            (momentum * value) + (_oneMinusMomentum * input);
    }
}
