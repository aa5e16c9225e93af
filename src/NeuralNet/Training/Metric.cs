using System.Text.RegularExpressions;
using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// A quantity tracked during training and evaluation, accumulated over batches (Keras metrics are stateful the same way).
/// </summary>
/// <remarks>
/// The model calls <see cref="Reset"/> at the start of each epoch (and of each evaluation), <see cref="Update(Tensor, Tensor)"/> after
/// every batch, and reads <see cref="Result"/> for the logs under <see cref="Name"/> (validation results get the
/// prefix <c>val_</c>). <see cref="Update(Tensor, Tensor)"/> must not allocate: it runs once per training step.
/// </remarks>
public abstract class Metric
{
    private string? _name;
    private string? _snakeCaseTypeName;

    /// <summary>
    /// The metric's name, the key of its result in logs, History, callbacks' <c>monitor</c>, CSV logs and the progress bar
    /// (with <c>val_</c> in front for validation), and in saved files (Keras' <c>name</c> argument, e.g.
    /// <c>new Precision(0.3) { Name = "precision_at_0_3" }</c>). A metric asked for by an identifier in <c>Compile</c> is
    /// named after it (<c>"mae"</c> logs <c>mae</c>, as Keras' <c>get_metric</c> names it), and a loaded one gets its saved
    /// name; otherwise the name is <see cref="DefaultName"/>, Keras' name for a built-in (<c>precision</c>).
    /// </summary>
    /// <remarks>
    /// An <see langword="init"/> accessor rather than a constructor argument, so that every metric, built-in or your own,
    /// takes a name without each constructor repeating Keras' <c>name=</c> parameter. Two metrics of one output that end
    /// up with the same name are told apart by <c>Compile</c> as Keras' <c>CompileMetrics</c> does (<c>precision</c>,
    /// <c>precision_1</c>); naming them says which is which. A metric written before names could be given (overriding this
    /// property) still compiles and works, but cannot be given a name: setting one throws, so override
    /// <see cref="DefaultName"/> instead.
    /// </remarks>
    /// <exception cref="ArgumentException">The name set is null, empty or white space.</exception>
    /// <exception cref="InvalidOperationException">The metric overrides <see cref="Name"/>, so a name set would be ignored.</exception>
    public virtual string Name
    {
        get => _name ?? DefaultName;
        init
        {
            Rename(value, nameof(Name));
            if (!string.Equals(Name, value, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The metric {GetType().Name} overrides Name (it returns '{Name}'), so the name '{value}' set would be ignored; override DefaultName instead of Name to let the metric be named.");
            }
        }
    }

    /// <summary>
    /// The name of a metric that was not given one (Keras' default <c>name</c>): each built-in's Keras name
    /// (<c>accuracy</c>, <c>precision</c>, <c>f1_score</c>); for a metric of your own, unless overridden, its class name in
    /// snake_case (<c>MyScore</c> gives <c>my_score</c>, as Keras' <c>auto_name</c>).
    /// </summary>
    protected virtual string DefaultName => _snakeCaseTypeName ??= SnakeCase(GetType().Name);

    /// <summary>
    /// The name in logs, History and saved files: the name given (even to a metric overriding <see cref="Name"/>, when
    /// Compile or a file named it by an identifier), otherwise <see cref="Name"/>.
    /// </summary>
    internal string LogName => _name ?? Name;

    /// <summary>
    /// Names the metric: Keras' <c>get_metric</c> names a metric asked for by a string after the string
    /// (<c>metric_obj.name = identifier</c>), and a saved configuration's <c>name</c> is restored on loading.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
    internal void Rename(string name, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException($"A metric's name must be a non-empty string, but {GetType().Name} was given {(name is null ? "null" : $"'{name}'")}.", parameterName);
        }

        CheckName(name, parameterName);
        _name = name;
    }

    /// <summary>Refuses a name the metric cannot be saved under; every name is accepted unless a built-in overrides this.</summary>
    /// <exception cref="ArgumentException">The name cannot be this metric's.</exception>
    private protected virtual void CheckName(string name, string parameterName)
    {
    }

    // Keras' naming.to_snake_case: drop non-word characters, then an underscore before each capitalised word.
    private static string SnakeCase(string typeName)
    {
        int tick = typeName.IndexOf('`', StringComparison.Ordinal);
        string name = tick >= 0 ? typeName[..tick] : typeName;
        name = Regex.Replace(name, @"\W+", string.Empty);
        name = Regex.Replace(name, "(.)([A-Z][a-z]+)", "$1_$2");
        return Regex.Replace(name, "([a-z])([A-Z])", "$1_$2").ToLowerInvariant();
    }

    /// <summary>
    /// Which way the metric improves, read by callbacks monitoring it in <see cref="MonitorMode.Auto"/> (Keras' metric
    /// <c>_direction</c>). Every built-in metric declares one; a metric of your own is <see cref="MetricDirection.Unknown"/>
    /// unless it overrides this, and then a callback monitoring it in Auto mode throws before training and asks for a mode.
    /// </summary>
    public virtual MetricDirection Direction => MetricDirection.Unknown;

    /// <summary>Forgets everything accumulated.</summary>
    public abstract void Reset();

    /// <summary>Accumulates one batch.</summary>
    /// <param name="predictions">The model's outputs for the batch, (batch, ...).</param>
    /// <param name="targets">The targets for the batch, as given to the loss.</param>
    public abstract void Update(Tensor predictions, Tensor targets);

    /// <summary>
    /// Accumulates one batch with one non-negative weight per sample (Keras' <c>sample_weight</c>, for the
    /// <c>weightedMetrics</c> of <c>Compile</c>): each sample counts in proportion to its weight, as Keras' metrics weigh
    /// them (a weighted mean for accuracies and errors, weighted counts for precision, recall, AUC and F-scores). An
    /// empty span means no weights. Every built-in metric implements it; the base accepts only an empty span.
    /// </summary>
    /// <param name="predictions">The model's outputs for the batch, (batch, ...).</param>
    /// <param name="targets">The targets for the batch, as given to the loss.</param>
    /// <param name="sampleWeights">One weight per sample of the batch, or empty.</param>
    /// <exception cref="ArgumentException">The number of weights differs from the batch.</exception>
    /// <exception cref="NotSupportedException">Weights were given to a metric of your own that does not override this method.</exception>
    public virtual void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        if (!sampleWeights.IsEmpty)
        {
            throw new NotSupportedException($"The metric {Name} ({GetType().Name}) does not take sample weights (override Update with sampleWeights), so it cannot be a weighted metric.");
        }

        Update(predictions, targets);
    }

    /// <summary>
    /// Whether the metric takes sample weights: a built-in one, or one of your own that overrides the weighted
    /// <see cref="Update(Tensor, Tensor, ReadOnlySpan{float})"/>. Found once: the weight checks of every <c>TrainOnBatch</c>
    /// ask, and a warm call allocates nothing.
    /// </summary>
    internal bool TakesSampleWeights => _takesSampleWeights ??= DeclaresWeightedUpdate();

    private bool? _takesSampleWeights;

    // The reflection only asks where Update is declared; the trimmer keeps every override of a method called virtually.
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Reads the declaring type of a virtual method that is always kept.")]
    private bool DeclaresWeightedUpdate() =>
        GetType().GetMethod(nameof(Update), [typeof(Tensor), typeof(Tensor), typeof(ReadOnlySpan<float>)])!.DeclaringType != typeof(Metric);

    /// <summary>The value over everything accumulated since the last <see cref="Reset"/> (0 when nothing was).</summary>
    public abstract double Result();

    /// <summary>
    /// Checks the values of a whole target tensor before any training, where a shape check cannot see the mistake (AUC's
    /// targets must be 0 or 1, sparse class indices must be below the number of classes); throws naming the sample. Does
    /// nothing unless a metric overrides it.
    /// </summary>
    /// <param name="targets">All targets, (samples, ...).</param>
    /// <param name="outputShape">The per-sample shape of the model's output for these targets.</param>
    /// <exception cref="ArgumentException">A target value is not one this metric accepts.</exception>
    public virtual void ValidateTargets(Tensor targets, TensorShape outputShape)
    {
    }

    /// <summary>
    /// Checks, before any training, that targets of per-sample shape <paramref name="targetShape"/> fit outputs of
    /// per-sample shape <paramref name="outputShape"/>; throws <see cref="ArgumentException"/> naming both otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit this metric.</exception>
    public virtual void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
    }

    /// <summary>
    /// Refuses, when the metric is compiled, a metric that reports several numbers (a confusion metric with a list of
    /// thresholds): the logs of Fit and Evaluate hold one number per metric. Does nothing for a metric with one result.
    /// </summary>
    /// <exception cref="ArgumentException">The metric has several results.</exception>
    internal virtual void CheckOneResult(string parameterName)
    {
    }

    /// <summary>
    /// The metric's settings under Keras' names (Keras' <c>get_config</c>); empty for one without settings. Saving adds the
    /// metric's <see cref="Name"/> as <c>"name"</c> (do not write it here), and loading gives it back; a built-in metric
    /// with its default settings and a name that is one of its identifiers is saved as that name (<c>"accuracy"</c>,
    /// <c>"mae"</c>).
    /// </summary>
    public virtual Config GetConfig() => new();

    /// <inheritdoc/>
    public override string ToString() => LogName;
}
