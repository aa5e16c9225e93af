using System.Globalization;
using System.Numerics.Tensors;
using System.Text.RegularExpressions;
using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// Updates trainable parameters from their accumulated gradients (Keras 3 update rules and defaults).
/// </summary>
/// <remarks>
/// <para>Per-parameter state (momentums, velocities, ...) is created the first time a parameter is stepped and reused
/// after that, so <see cref="Step"/> allocates nothing once warmed up. Each parameter is updated in one fused pass
/// over its elements, then its gradient is cleared. The library's optimizers write their rule once, as a small struct
/// driven by one vectorised loop (<c>ElementwiseUpdate</c>), and update a parameter of 65,536 elements or more as blocks
/// of rows on the library's worker threads (<see cref="Parallelism.MaxDegreeOfParallelism"/>), with the same result bit
/// for bit; a subclass outside the library always receives whole parameters.</para>
/// <para>Optional gradient clipping, applied per parameter before the update as Keras does: <see cref="ClipNorm"/>
/// rescales a gradient whose L2 norm exceeds it; <see cref="ClipValue"/> clamps every element to
/// [-ClipValue, ClipValue]. At most one of them can be set.</para>
/// <para>Hyper-parameters are taken as double, as C# reads Keras' literals (<c>new Adam(1e-3, beta2: 0.98)</c>), and kept
/// and used as float32, as Keras keeps them in float32 variables: a double is rounded to float32 (<c>1e-3</c> is used as
/// <c>1e-3f</c>), a float argument is used bit for bit, and the properties give the float32 values. A value is
/// checked as float32, so a finite double beyond float32's range (1e39) is refused as infinite.</para>
/// <para>An optimizer belongs to one model at a time and is not thread-safe.</para>
/// </remarks>
public abstract partial class Optimizer
{
    private float _learningRate;
    private Schedules.LearningRateSchedule? _schedule;

    // The schedule's rate at step _scheduledRateStep: a schedule is evaluated once per step (Step reads it first, on the
    // calling thread); LearningRate returns this value until StepCount moves on.
    private long _scheduledRateStep = -1;
    private float _scheduledRate;
    private float? _weightDecay;
    private float? _globalClipNorm;
    private string[] _weightDecayExclusions = [];
    private Regex? _weightDecayExclusionPattern;
    private float? _clipNorm;
    private float? _clipValue;

    /// <summary>Creates an optimizer with the given learning rate.</summary>
    /// <param name="learningRate">The step size; non-negative and finite (0 leaves the weights where they are). A double, as
    /// Keras' <c>learning_rate=1e-3</c> reads in C#; used as float32, as Keras' variable is.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is negative, NaN or infinite, or
    /// beyond float32's range.</exception>
    protected Optimizer(double learningRate)
    {
        LearningRate = learningRate;
    }

    /// <summary>The identifier used in saved configurations, as Keras names it (<c>adam</c>, <c>sgd</c>, <c>rmsprop</c>).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// The step size. Callbacks such as <see cref="Training.ReduceLROnPlateau"/> change it between steps.
    /// </summary>
    /// <remarks>A double, so that Keras' <c>optimizer.learning_rate = 1e-4</c> ports as <c>optimizer.LearningRate = 1e-4</c>;
    /// the rate is kept and used as float32, as Keras' variable is, so reading it gives the float32 value (1e-4 reads
    /// back as 9.999999747378752E-05), and a positive rate below float32's smallest becomes 0.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, NaN or infinite, or beyond float32's range
    /// (the parameter is named <c>learningRate</c>); 0 is allowed, as in Keras (a frozen phase of fine-tuning).</exception>
    /// <exception cref="InvalidOperationException">Set while a <see cref="Schedule"/> drives the rate; or read while the
    /// schedule gives a negative, NaN or infinite rate at the current step (0 is allowed: warmup from 0, decay to 0).</exception>
    public double LearningRate
    {
        get => _schedule is null ? _learningRate : ScheduledRate();
        set => _learningRate = _schedule is null
            ? ValidateLearningRate(value)
            : throw new InvalidOperationException($"The learning rate of {Name} follows its schedule ({_schedule.Name}) and cannot be set; change the schedule, or use an optimizer without one.");
    }

    /// <summary>
    /// A learning-rate schedule that replaces the fixed <see cref="LearningRate"/> (Keras: a schedule passed as
    /// <c>learning_rate</c>): each step uses the schedule's rate at <see cref="Iterations"/>, the number of steps taken
    /// before it. Saved with the model when it is one of the built-in schedules.
    /// </summary>
    /// <remarks>
    /// <see cref="Schedules.LearningRateSchedule.Rate"/> is called once per step, by <see cref="Step"/> on the calling thread
    /// before anything changes, whatever the number of parameters, weight decay or worker threads. Reading
    /// <see cref="LearningRate"/> gives the rate of the next step, the schedule's rate at the number of steps taken so far
    /// (as Keras' <c>optimizer.learning_rate</c>): after one step of <c>ExponentialDecay(1, 1, 0.5)</c> it is 0.5, not the
    /// 1 that step used; that reading and the next step share one call of the schedule.
    /// </remarks>
    /// <example><c>var adam = new Adam { Schedule = new ExponentialDecay(0.01, decaySteps: 1000, decayRate: 0.9) };</c></example>
    public Schedules.LearningRateSchedule? Schedule
    {
        get => _schedule;
        init => _schedule = value;
    }

    /// <summary>
    /// When set, each parameter's gradient whose L2 norm exceeds this value is rescaled to this norm before the update
    /// (Keras <c>clipnorm</c>). Positive and finite; cannot be combined with <see cref="ClipValue"/>.
    /// </summary>
    /// <remarks>A double, as Keras' <c>clipnorm=1.0</c> reads in C#; kept and used as float32, so reading it gives the
    /// float32 value.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite as float32 (1e-50 and 1e39
    /// included).</exception>
    /// <exception cref="ArgumentException"><see cref="ClipValue"/> is already set.</exception>
    public double? ClipNorm
    {
        get => _clipNorm;
        init => _clipNorm = ValidateClip(value, nameof(ClipNorm), _clipValue ?? _globalClipNorm, _clipValue is null ? nameof(GlobalClipNorm) : nameof(ClipValue));
    }

    /// <summary>
    /// When set, every gradient element is clamped to [-ClipValue, ClipValue] before the update (Keras <c>clipvalue</c>).
    /// Positive and finite; cannot be combined with <see cref="ClipNorm"/>.
    /// </summary>
    /// <remarks>A double (Keras' <c>clipvalue=0.5</c>), kept and used as float32.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite as float32.</exception>
    /// <exception cref="ArgumentException"><see cref="ClipNorm"/> is already set.</exception>
    public double? ClipValue
    {
        get => _clipValue;
        init => _clipValue = ValidateClip(value, nameof(ClipValue), _clipNorm ?? _globalClipNorm, _clipNorm is null ? nameof(GlobalClipNorm) : nameof(ClipNorm));
    }

    /// <summary>
    /// When set, all trainable gradients are rescaled together so that their global L2 norm (over every parameter) is at
    /// most this value (Keras <c>global_clipnorm</c>). Positive and finite; cannot be combined with <see cref="ClipNorm"/> or
    /// <see cref="ClipValue"/>.
    /// </summary>
    /// <remarks>A double (Keras' <c>global_clipnorm=1.0</c>), kept and used as float32.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite as float32.</exception>
    /// <exception cref="ArgumentException">Another clipping is already set.</exception>
    public double? GlobalClipNorm
    {
        get => _globalClipNorm;
        init => _globalClipNorm = ValidateClip(value, nameof(GlobalClipNorm), _clipNorm ?? _clipValue, _clipNorm is null ? nameof(ClipValue) : nameof(ClipNorm));
    }

    /// <summary>
    /// Keras' decoupled weight decay (<c>weight_decay</c>): before each update a trainable parameter's values become
    /// w − w·weightDecay·learningRate, except for parameters whose name matches one of <see cref="WeightDecayExclusions"/>.
    /// Non-negative and finite; null (the default) for none. <see cref="AdamW"/> starts at 0.004 and, as Keras' AdamW,
    /// refuses null (use 0, or <see cref="Adam"/>).
    /// </summary>
    /// <remarks>A double (Keras' <c>weight_decay=1e-4</c>), kept and used as float32, so reading it gives the float32
    /// value.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative (-1e-50 included) or not finite as float32.</exception>
    /// <exception cref="ArgumentNullException">The value is null for <see cref="AdamW"/>.</exception>
    public double? WeightDecay
    {
        get => _weightDecay;
        init => _weightDecay = value is double v ? ValidateNonNegative(v, nameof(WeightDecay))
            : RequiresWeightDecay ? throw new ArgumentNullException(nameof(WeightDecay), $"{GetType().Name} needs a weight decay, a non-negative number (Keras: \"Argument `weight_decay` must be a float. Received: weight_decay=None\"); use 0 for none, or Adam.")
            : null;
    }

    /// <summary>Whether <see cref="WeightDecay"/> must be set (Keras' AdamW raises for <c>weight_decay=None</c>).</summary>
    private protected virtual bool RequiresWeightDecay => false;

    /// <summary>
    /// Regular expressions for the names of parameters that get no weight decay, as Keras'
    /// <c>exclude_from_weight_decay(var_names=...)</c>: a parameter is excluded when one of them matches anywhere in its
    /// name (Keras joins them with <c>|</c> and calls <c>re.search</c> on the variable's name), so <c>"bias"</c> excludes
    /// every bias and <c>"^(bias|gamma)$"</c> only those exact names. Names are the parameters' own (<c>kernel</c>,
    /// <c>bias</c>, <c>gamma</c>, ...), not prefixed with the layer's; the patterns are .NET regular expressions, which
    /// agree with Python's for such patterns. Saved with the optimizer's configuration under
    /// <c>exclude_from_weight_decay</c> when not empty (a key Keras does not write).
    /// </summary>
    /// <exception cref="ArgumentNullException">The list or one of its entries is null.</exception>
    /// <exception cref="ArgumentException">An entry is not a valid regular expression.</exception>
    public IReadOnlyList<string> WeightDecayExclusions
    {
        get => _weightDecayExclusions;
        init => (_weightDecayExclusions, _weightDecayExclusionPattern) = ExclusionPattern(value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>
    /// The number of updates applied so far (Keras <c>iterations</c>): the number of <see cref="Step"/> calls, divided
    /// (rounded down) by <see cref="GradientAccumulationSteps"/> when gradients are accumulated. Adam's bias correction
    /// and <see cref="EmaOverwriteFrequency"/> count in it.
    /// </summary>
    public long Iterations => _gradientAccumulationSteps is int steps ? StepCount / steps : StepCount;

    /// <summary>
    /// The number of <see cref="Step"/> calls so far, including those that only accumulate gradients (Keras'
    /// <c>_iterations</c> variable, the first of Keras' <c>optimizer.variables</c>): what a <see cref="Schedule"/> is
    /// evaluated at, and what is saved and loaded with the state (<see cref="SetState"/>).
    /// </summary>
    public long StepCount { get; internal set; }

    /// <summary>
    /// Updates every trainable parameter in <paramref name="parameters"/> from its gradient (or, with
    /// <see cref="GradientAccumulationSteps"/>, adds the gradient to the parameter's accumulator and updates on every
    /// n-th call), clears all their gradients (trainable or not), projects each trainable parameter that has a
    /// <see cref="Parameter.Constraint"/> (at every call, as Keras does) and counts one step.
    /// </summary>
    /// <param name="parameters">The parameters of the model, in a stable order.</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The <see cref="Schedule"/> gives a negative, NaN or infinite rate at
    /// this step, or the optimizer cannot step now (<see cref="ScheduleFreeAdamW"/> in eval mode); thrown before any
    /// parameter, gradient or state changes.</exception>
    public void Step(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckCanStep();

        // The rate of this step, once (a schedule's Rate runs here, on this thread, and throws before anything changes);
        // the weight decay and every update of this step use it.
        float learningRate = (float)LearningRate;
        Layers.InferencePass.Renew();
        long iterations = Iterations;
        long step = iterations + 1;
        bool updates = AccumulateGradients(parameters);
        if (updates)
        {
            if (_globalClipNorm is float globalClip)
            {
                GradientClipping.ClipByGlobalNorm(parameters, globalClip);
            }

            StepLearningRate = learningRate;
            BeginUpdates(step, learningRate);
        }

        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter parameter = parameters[i];
            if (parameter.Trainable)
            {
                ParameterState state = State(parameter);
                if (updates)
                {
                    Span<float> gradient = parameter.Gradient.AsSpan();
                    Clip(gradient);
                    if (WeightDecayOf(parameter, state.Slots) is float decay && decay > 0 && !IsExcludedFromWeightDecay(parameter))
                    {
                        ApplyWeightDecay(parameter.Value.AsSpan(), decay, learningRate);
                    }

                    if (!TryUpdateInParallel(parameter, state.Slots, step))
                    {
                        UpdateParameter(parameter.Shape, parameter.Value.AsSpan(), gradient, state.Slots, step);
                    }
                }

                if (state.Average is Tensor average)
                {
                    UpdateMovingAverage(parameter, average, iterations);
                }
            }

            parameter.DiscardGradient();
        }

        // Keras 3 (BaseOptimizer.apply): constraints project the variables once every update and moving average is done,
        // at every call, including one that only accumulated gradients.
        for (int i = 0; i < parameters.Count; i++)
        {
            if (parameters[i] is { Trainable: true, Constraint: Constraints.Constraint constraint } parameter)
            {
                constraint.Apply(parameter.Value);
            }
        }

        StepCount++;
    }

    /// <summary>
    /// The learning rate of the step being taken, as <see cref="Step"/> read it once before its updates: what the library's
    /// optimizers use in <see cref="Update"/>, which may run on worker threads.
    /// </summary>
    private protected float StepLearningRate { get; private set; }

    /// <summary>
    /// Called first by <see cref="Step"/>, and by <c>Fit</c> and <c>TrainOnBatch</c> before they run anything: throws when
    /// the optimizer cannot step now (ScheduleFreeAdamW in eval mode).
    /// </summary>
    internal virtual void CheckCanStep()
    {
    }

    /// <summary>
    /// Called by <see cref="Step"/> once per step that updates, on the calling thread, before the first
    /// <see cref="Update"/>: the library's optimizers compute here what depends only on the step and the rate (Adam's
    /// bias-corrected step, Nadam's schedule terms), so that it is computed once rather than per parameter and row block.
    /// </summary>
    /// <param name="step">The 1-based number of this update (<see cref="Iterations"/> + 1).</param>
    /// <param name="learningRate">The rate of this step.</param>
    private protected virtual void BeginUpdates(long step, float learningRate)
    {
    }

    // The schedule's rate at this step, as float32: a schedule of the user's own may give anything, and an optimizer's rule
    // assumes a non-negative finite rate (a NaN would poison every weight, a negative one would climb the loss). Evaluated
    // once per step count; a refused rate is not kept, so every reading refuses it.
    private float ScheduledRate()
    {
        if (_scheduledRateStep == StepCount)
        {
            return _scheduledRate;
        }

        double rate = _schedule!.Rate(StepCount);
        float value = (float)rate;
        if (!(value >= 0f && float.IsFinite(value)))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The learning-rate schedule {_schedule.Name} ({_schedule.GetType().Name}) of {Name} gives {rate} at step {StepCount}; a learning rate must be a non-negative finite number (as float32). No parameter was updated."));
        }

        (_scheduledRate, _scheduledRateStep) = (value, StepCount);
        return value;
    }

    // Keras' clip_by_global_norm: every gradient times clip / max(global norm, clip), the norm over all of them. A
    // non-finite global norm (an inf or NaN gradient anywhere, or squares that overflow float32) makes every gradient
    // NaN, as Keras does on purpose (scale = scale_for_finite + (use_norm - use_norm)), rather than zeroing the step (inf)
    // or skipping the clip (NaN).
    /// <summary>
    /// The weight decay of <paramref name="parameter"/>, whose state is <paramref name="slots"/>: <see cref="WeightDecay"/>,
    /// unless an optimizer of the library decays some parameters by another (Muon's AdamW-stepped ones).
    /// </summary>
    private protected virtual float? WeightDecayOf(Parameter parameter, Tensor[] slots) => _weightDecay;

    /// <summary>Sets the weight decay a subclass starts with (AdamW's 0.004).</summary>
    private protected void SetDefaultWeightDecay(double value) => _weightDecay = ValidateNonNegative(value, nameof(WeightDecay));

    // Keras: variable − variable · wd · lr, evaluated in that order in float32.
    private static void ApplyWeightDecay(Span<float> values, float decay, float learningRate)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] -= values[i] * decay * learningRate;
        }
    }

    // Keras' _use_weight_decay: re.search(pattern, variable.name) with the names joined by "|".
    private bool IsExcludedFromWeightDecay(Parameter parameter) =>
        _weightDecayExclusionPattern is Regex pattern && pattern.IsMatch(parameter.Name);

    // The names and the one pattern Keras compiles from them ("|".join(set(var_names))); each name is checked on its own
    // first, so that an error names it.
    private static (string[] Names, Regex? Pattern) ExclusionPattern(IEnumerable<string> names)
    {
        string[] list = [.. names];
        for (int i = 0; i < list.Length; i++)
        {
            if (list[i] is null)
            {
                throw new ArgumentNullException(nameof(WeightDecayExclusions), string.Create(CultureInfo.InvariantCulture, $"WeightDecayExclusions[{i}] is null."));
            }

            try
            {
                _ = new Regex(list[i], RegexOptions.CultureInvariant);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"WeightDecayExclusions[{i}] \"{list[i]}\" is not a valid regular expression: {ex.Message}"), nameof(WeightDecayExclusions), ex);
            }
        }

        return (list, list.Length == 0 ? null
            : new Regex(string.Join("|", list.Distinct(StringComparer.Ordinal)), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
    }

    /// <summary>The names of the per-parameter state tensors, in the order <see cref="Update"/> receives them (Keras names: <c>momentum</c>, <c>velocity</c>).</summary>
    protected abstract IReadOnlyList<string> SlotNames { get; }

    /// <summary>
    /// Updates one parameter in place, in one fused pass.
    /// </summary>
    /// <param name="values">The parameter's values.</param>
    /// <param name="gradient">The (already clipped) gradient, same length.</param>
    /// <param name="slots">The parameter's state tensors, one per <see cref="SlotNames"/> entry, zero on the first step.</param>
    /// <param name="step">The 1-based number of this step (<see cref="Iterations"/> + 1).</param>
    protected abstract void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step);

    /// <summary>
    /// Updates one whole parameter of shape <paramref name="shape"/>: <see cref="Update"/> unless an optimizer of the
    /// library needs the shape (Adafactor factors the last two axes).
    /// </summary>
    private protected virtual void UpdateParameter(TensorShape shape, Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step) =>
        Update(values, gradient, slots, step);

    /// <summary>
    /// The hyper-parameters under Keras' names (Keras' <c>get_config</c>): <c>learning_rate</c>, <c>clipnorm</c> and
    /// <c>clipvalue</c> here; subclasses add theirs. Saving a compiled model writes it.
    /// </summary>
    public virtual Config GetConfig() =>
        WithWeightDecay((_schedule is null ? new Config().Set("learning_rate", (float)LearningRate) : new Config().Set("learning_rate", SerializeSchedule(_schedule)))
            .Set("clipnorm", _clipNorm).Set("clipvalue", _clipValue)); // the float32 values, written as before

    // Written only when set, so that files of optimizers without them stay as they were.
    private Config WithWeightDecay(Config config)
    {
        config = _weightDecay is float decay ? config.Set("weight_decay", decay) : config;

        // Not in Keras' configuration (Keras keeps exclude_from_weight_decay's names out of get_config), but without it a
        // loaded optimizer would decay parameters the saved one did not.
        config = _weightDecayExclusions.Length > 0
            ? config.Set("exclude_from_weight_decay", new System.Text.Json.Nodes.JsonArray([.. _weightDecayExclusions.Select(name => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(name))]))
            : config;
        config = _globalClipNorm is float clip ? config.Set("global_clipnorm", clip) : config;
        config = _useEma ? config.Set("use_ema", true) : config;
        config = _emaMomentum != DefaultEmaMomentum ? config.Set("ema_momentum", _emaMomentum) : config;
        config = _emaOverwriteFrequency is int frequency ? config.Set("ema_overwrite_frequency", frequency) : config;
        return _gradientAccumulationSteps is int steps ? config.Set("gradient_accumulation_steps", steps) : config;
    }

    /// <summary>
    /// Sets <see cref="Schedule"/> from a configuration whose <c>learning_rate</c> is a schedule object (for factories of
    /// subclasses); a number leaves the optimizer as it is.
    /// </summary>
    /// <returns>This optimizer.</returns>
    /// <exception cref="InvalidDataException">The schedule is unknown or its configuration invalid.</exception>
    protected internal Optimizer ReadSchedule(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.GetNode("learning_rate") is System.Text.Json.Nodes.JsonObject)
        {
            _schedule = Schedules.LearningRateSchedule.FromConfig(config.GetConfig("learning_rate"));
            _scheduledRateStep = -1;
        }

        return this;
    }

    // Only the built-in schedules are known to the loader; a user's schedule would be written but could not be read back.
    private Config SerializeSchedule(Schedules.LearningRateSchedule schedule) =>
        schedule.GetType().Namespace == typeof(Schedules.LearningRateSchedule).Namespace && schedule.GetType().Assembly == typeof(Optimizer).Assembly
            ? schedule.Serialize()
            : throw new NotSupportedException($"The learning-rate schedule {schedule.GetType().FullName} of {Name} is not a built-in schedule, so the optimizer cannot be saved; save the weights (SaveWeights), or use a built-in schedule.");

    /// <summary>
    /// Sets the base options (<see cref="ClipNorm"/>, <see cref="ClipValue"/>, <see cref="GlobalClipNorm"/>,
    /// <see cref="WeightDecay"/>, <see cref="WeightDecayExclusions"/>, <see cref="UseEma"/>, <see cref="EmaMomentum"/>, <see cref="EmaOverwriteFrequency"/>,
    /// <see cref="GradientAccumulationSteps"/>)
    /// from a configuration written by <see cref="GetConfig"/> (for factories of subclasses).
    /// </summary>
    /// <returns>This optimizer.</returns>
    /// <exception cref="InvalidDataException">An option is out of its range, or two clippings are set.</exception>
    protected internal Optimizer ReadClipping(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        float? clipNorm = config.GetNullableSingle("clipnorm");
        float? clipValue = config.GetNullableSingle("clipvalue");
        try
        {
            ValidateClip(clipNorm, nameof(ClipNorm), clipValue, nameof(ClipValue));
            ValidateClip(clipValue, nameof(ClipValue), null, nameof(ClipNorm));
        }
        catch (ArgumentException ex)
        {
            throw config.Error(ex.Message, ex);
        }

        _clipNorm = clipNorm;
        _clipValue = clipValue;
        if (config.GetNullableSingle("global_clipnorm") is float globalClip)
        {
            try
            {
                ValidateClip(globalClip, nameof(GlobalClipNorm), clipNorm ?? clipValue, nameof(ClipNorm));
            }
            catch (ArgumentException ex)
            {
                throw config.Error(ex.Message, ex);
            }

            _globalClipNorm = globalClip;
        }

        if (config.Keys.Contains("weight_decay") && config.GetNode("weight_decay") is null && !RequiresWeightDecay)
        {
            // Keras writes weight_decay=None as null: no decay, even for an optimizer whose default has one (Muon).
            _weightDecay = null;
        }
        else if (config.Contains("weight_decay"))
        {
            float? decay = config.GetNode("weight_decay") is null ? null : config.GetSingle("weight_decay");
            if (decay is < 0)
            {
                throw config.Error($"\"weight_decay\" must be non-negative but is {decay}.");
            }

            _weightDecay = decay;
        }

        if (config.GetNode("exclude_from_weight_decay") is System.Text.Json.Nodes.JsonNode exclusions)
        {
            try
            {
                (_weightDecayExclusions, _weightDecayExclusionPattern) = ExclusionPattern(ReadWeightDecayExclusions(config, exclusions));
            }
            catch (ArgumentException ex)
            {
                throw config.Error(ex.Message, ex);
            }
        }

        ReadMovingAverage(config);
        ReadGradientAccumulation(config);
        return this;
    }

    private static string[] ReadWeightDecayExclusions(Config config, System.Text.Json.Nodes.JsonNode node)
    {
        if (node is not System.Text.Json.Nodes.JsonArray array)
        {
            throw config.Error($"\"exclude_from_weight_decay\" must be an array of parameter names but is {Config.Describe(node)}.");
        }

        var names = new string[array.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = array[i]?.GetValueKind() == System.Text.Json.JsonValueKind.String
                ? array[i]!.GetValue<string>()
                : throw config.Error(string.Create(CultureInfo.InvariantCulture, $"\"exclude_from_weight_decay\"[{i}] is {Config.Describe(array[i])}; expected a parameter name (a string)."));
        }

        return names;
    }

    /// <summary>Throws unless <paramref name="value"/>, as float32, is in [0, 1) (or [0, 1] when
    /// <paramref name="inclusiveOne"/>); returns it as float32 (a float argument comes back bit for bit, −0 as 0).</summary>
    /// <remarks>The float32 value is checked, since it is the one used: 0.99999999999 is 1 as float32, outside [0, 1).</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside the interval; the message names <paramref name="parameterName"/>.</exception>
    protected static float ValidateUnitInterval(double value, string parameterName, bool inclusiveOne)
    {
        if (!Float32Hyperparameter.IsInUnitInterval(value, inclusiveOne, out float single))
        {
            throw new ArgumentOutOfRangeException(parameterName, value, $"{parameterName} must be in [0, 1{(inclusiveOne ? "]" : ")")}. Received: {parameterName}={Float32Hyperparameter.Format(value)}.");
        }

        return single;
    }

    /// <summary>Throws unless <paramref name="value"/> is non-negative and finite as float32; returns it as float32 (a
    /// float argument comes back bit for bit, −0 as 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative (-1e-50 included), NaN or infinite, or a finite double beyond
    /// float32's range (1e39); the message names <paramref name="parameterName"/>.</exception>
    protected static float ValidateNonNegative(double value, string parameterName)
    {
        if (!Float32Hyperparameter.IsNonNegative(value, out float single))
        {
            throw new ArgumentOutOfRangeException(parameterName, value, $"{parameterName} must be a non-negative finite number (as float32). Received: {parameterName}={Float32Hyperparameter.Format(value)}.");
        }

        return single;
    }

    /// <summary>
    /// The hyper-parameter as the user wrote it, from a float: the double nearest to the shortest decimal that round-trips
    /// <paramref name="value"/> (0.999f gives 0.999, not 0.99900001287). Computing <c>1 - beta</c> from it keeps Keras'
    /// float64 formulas to float32 precision: <c>1 - 0.999f</c> in float32 is 1.3e-5 away from 0.001.
    /// </summary>
    protected static double AsWritten(float value) =>
        double.Parse(value.ToString("R", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>
    /// The hyper-parameter as the user wrote it, from the double given: a value that is exactly a float32 (a float
    /// argument, or a double such as 0.5) as <see cref="AsWritten(float)"/> reads it, so that float callers get the same
    /// bits; any other double as given, since it is what Keras' Python float is: <c>1 - 0.90223199</c> is 0.09776801,
    /// while the shortest decimal of <c>(float)0.90223199</c> would give 0.097768.
    /// </summary>
    protected static double AsWritten(double value) => (float)value == value ? AsWritten((float)value) : value;

    /// <summary>Throws unless <paramref name="value"/> is a non-negative finite learning rate as float32 (0 included, as Keras
    /// and the schedules allow; a positive rate below float32's smallest becomes 0); returns it as float32 (a float
    /// argument comes back bit for bit, −0 as 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative (-1e-50, −0 as float32, included), NaN or
    /// infinite, or a finite double beyond float32's range (1e39).</exception>
    protected static float ValidateLearningRate(double value)
    {
        if (!Float32Hyperparameter.IsNonNegative(value, out float single))
        {
            throw new ArgumentOutOfRangeException("learningRate", value, $"The learning rate must be a non-negative finite number (as float32). Received: learningRate={Float32Hyperparameter.Format(value)}.");
        }

        return single;
    }

    // Returns the float32 value (null for none); checked as float32, the value used.
    private static float? ValidateClip(double? value, string name, float? other, string otherName)
    {
        float? single = null;
        if (value is double v)
        {
            single = Float32Hyperparameter.IsPositive(v, out float positive) ? positive
                : throw new ArgumentOutOfRangeException(name, v, $"{name} must be a positive finite number (as float32). Received: {name}={Float32Hyperparameter.Format(v)}.");
        }

        if (value is not null && other is not null)
        {
            throw new ArgumentException($"Only one of {name} and {otherName} can be set.", name);
        }

        return single;
    }

    private void Clip(Span<float> gradient)
    {
        if (_clipNorm is float clipNorm)
        {
            // Keras' clip_by_norm: g * clipnorm / max(||g||, clipnorm); a zero gradient stays zero. An infinite norm scales
            // by 0 (finite elements 0, infinite ones NaN, as Keras' division by inf); a NaN norm makes every element NaN,
            // as Keras' maximum(NaN, clipnorm) does, rather than skipping the clip.
            float norm = TensorPrimitives.Norm(gradient);
            if (float.IsNaN(norm))
            {
                gradient.Fill(float.NaN);
            }
            else if (norm > clipNorm)
            {
                TensorPrimitives.Multiply(gradient, clipNorm / norm, gradient);
            }
        }
        else if (_clipValue is float clipValue)
        {
            TensorPrimitives.Clamp(gradient, -clipValue, clipValue, gradient);
        }
    }
}
