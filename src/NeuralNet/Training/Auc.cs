using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>AUC</c>: confusion counts at <see cref="NumThresholds"/> thresholds (−1e-7, then i / (n − 1) for
/// i = 1 … n − 2, then 1 + 1e-7; or the given <see cref="GivenThresholds"/>, sorted, between the same two ends), a
/// prediction positive when above; the area under the ROC curve (recall against the false-positive rate) or the PR curve
/// (precision against recall), summed as <see cref="SummationMethod"/> says. Targets must be 0 or 1.
/// </summary>
/// <remarks>
/// <para>
/// With <see cref="MultiLabel"/>, the predictions are (batch, labels) and each label (column) has its own counts and
/// area; the result is their mean, or their mean weighted by <see cref="LabelWeights"/> (0 when the weights sum to 0).
/// One label weight, which Keras broadcasts over every label, weighs each area but divides only once: the result is then
/// the sum of the labels' areas and can exceed 1, as in Keras (<c>divide_no_nan(sum(area · w), sum(w))</c>).
/// Without it every element counts as one prediction, and <see cref="LabelWeights"/>, if given, multiplies the weight of
/// each element by its column's (Keras' flattened <c>label_weights</c>). With <see cref="FromLogits"/> a sigmoid turns
/// the predictions into probabilities first.
/// </para>
/// <para>
/// As in Keras, a rate whose denominator is 0 is 0 (<c>divide_no_nan</c>). Keras accepts any thresholds; here they must be
/// in [0, 1] (Keras' documented range), since the two ends −1e-7 and 1 + 1e-7 are added around them.
/// </para>
/// <para>
/// With evenly spaced thresholds (the default, or given ones that with 0 and 1 around them Keras'
/// <c>is_evenly_distributed_thresholds</c> accepts) the counts are those of Keras' faster path:
/// the predictions are clipped to [0, 1], so a prediction below 0 is positive at −1e-7 and one above 1 negative at
/// 1 + 1e-7, and bucketed by <c>ceil(p (n − 1)) − 1</c> in float32, so a prediction within float32 rounding of a
/// threshold lands on Keras' side of it.
/// </para>
/// <para>
/// <see cref="LabelWeights"/> may also hold one weight, which Keras broadcasts over every label. Without
/// <see cref="MultiLabel"/> it then scales every count alike; with it the result is Keras'
/// <c>divide_no_nan(sum(area * label_weights), sum(label_weights))</c>, the sum of the labels' areas (0 when the weight is 0).
/// </para>
/// </remarks>
public sealed class Auc : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private const double Epsilon = 1e-7;
    private readonly double[] _thresholds;
    private readonly double[]? _labelWeights;
    private readonly double[]? _given;
    private readonly bool _evenlySpaced;
    private ConfusionCounts? _counts;

    /// <summary>Creates the metric.</summary>
    /// <param name="numThresholds">The number of thresholds, more than 1; ignored when <paramref name="thresholds"/> are given (Keras' <c>num_thresholds</c>).</param>
    /// <param name="curve">The ROC or PR curve (Keras' <c>curve</c>).</param>
    /// <param name="summationMethod">How the area is summed (Keras' <c>summation_method</c>).</param>
    /// <param name="thresholds">Thresholds in [0, 1] to use instead of evenly spaced ones, in any order; −1e-7 and 1 + 1e-7 are added around them (Keras' <c>thresholds</c>). Null for evenly spaced ones.</param>
    /// <param name="multiLabel">Whether each column of (batch, labels) predictions is a label with its own area, averaged (Keras' <c>multi_label</c>).</param>
    /// <param name="numLabels">The number of labels with <paramref name="multiLabel"/>, or null to take it from the first batch (Keras' <c>num_labels</c>).</param>
    /// <param name="labelWeights">Non-negative weights, one per label (column of the last axis) or one for every label: for the average with <paramref name="multiLabel"/>, for the counts without (Keras' <c>label_weights</c>). Null for none.</param>
    /// <param name="fromLogits">Whether the predictions are logits, passed through a sigmoid first (Keras' <c>from_logits</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="numThresholds"/> is below 2 (without <paramref name="thresholds"/>), a threshold is outside [0, 1],
    /// <paramref name="curve"/> or <paramref name="summationMethod"/> is not a defined value, <paramref name="numLabels"/> is
    /// below 1, or a label weight is negative or not finite.
    /// </exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="numLabels"/> is given without <paramref name="multiLabel"/>, <paramref name="labelWeights"/> is empty,
    /// or it holds neither one weight per label of <paramref name="numLabels"/> nor a single weight.
    /// </exception>
    public Auc(
        int numThresholds = 200,
        AucCurve curve = AucCurve.Roc,
        AucSummationMethod summationMethod = AucSummationMethod.Interpolation,
        IReadOnlyList<double>? thresholds = null,
        bool multiLabel = false,
        int? numLabels = null,
        IReadOnlyList<double>? labelWeights = null,
        bool fromLogits = false)
    {
        if (!Enum.IsDefined(curve))
        {
            throw new ArgumentOutOfRangeException(nameof(curve), curve, "Auc expects curve AucCurve.Roc or AucCurve.PR.");
        }

        if (!Enum.IsDefined(summationMethod))
        {
            throw new ArgumentOutOfRangeException(nameof(summationMethod), summationMethod, "Auc expects summationMethod Interpolation, Minoring or Majoring.");
        }

        if (thresholds is null)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(numThresholds, 2);
        }
        else
        {
            // Keras sorts the given thresholds and ignores num_thresholds.
            _given = ConfusionThresholds.CheckRange("Auc", nameof(thresholds), [.. thresholds.Order()]);
            GivenThresholds = Array.AsReadOnly(_given);
        }

        _labelWeights = CheckLabelWeights(labelWeights, multiLabel, numLabels);
        LabelWeights = _labelWeights is null ? null : Array.AsReadOnly(_labelWeights);
        _thresholds = _given is double[] given ? [-Epsilon, .. given, 1 + Epsilon] : EvenThresholds(numThresholds);
        Thresholds = Array.AsReadOnly(_thresholds);
        NumThresholds = _thresholds.Length;
        Curve = curve;
        SummationMethod = summationMethod;
        MultiLabel = multiLabel;
        NumLabels = numLabels;
        FromLogits = fromLogits;

        // Keras' AUC always takes its evenly spaced path without given thresholds; with them, when [0, given..., 1] is even.
        _evenlySpaced = _given is not double[] sorted || ConfusionThresholds.IsEvenlyDistributed([0, .. sorted, 1]);

        // Multi-label counts without a number of labels are made for the first batch, as Keras builds its variables then.
        _counts = multiLabel && numLabels is null ? null : MakeCounts(numLabels);
    }

    /// <summary>The number of thresholds, the two ends included.</summary>
    public int NumThresholds { get; }

    /// <summary>The curve integrated.</summary>
    public AucCurve Curve { get; }

    /// <summary>How the area between successive thresholds is summed.</summary>
    public AucSummationMethod SummationMethod { get; }

    /// <summary>The thresholds, increasing, the two ends −1e-7 and 1 + 1e-7 included (Keras' <c>thresholds</c> property).</summary>
    public IReadOnlyList<double> Thresholds { get; }

    /// <summary>The thresholds given to the constructor, sorted, or null when they are evenly spaced.</summary>
    public IReadOnlyList<double>? GivenThresholds { get; }

    /// <summary>Whether each label (column) has its own area, averaged into the result.</summary>
    public bool MultiLabel { get; }

    /// <summary>The number of labels given with <see cref="MultiLabel"/>, or null (taken from the first batch).</summary>
    public int? NumLabels { get; }

    /// <summary>The weight of each label (or the one weight of every label), or null for equal weights.</summary>
    public IReadOnlyList<double>? LabelWeights { get; }

    /// <summary>Whether the predictions are logits, passed through a sigmoid before counting.</summary>
    public bool FromLogits { get; }

    /// <inheritdoc/>
    protected override string DefaultName => "auc";

    /// <inheritdoc/>
    public override void Reset() => _counts?.Reset();

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ, or do not fit <see cref="MultiLabel"/>, <see cref="NumLabels"/> or <see cref="LabelWeights"/>.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        StreamingMetrics.SameSampleSize(Name, outputShape, targetShape);
        int? labels = _counts?.Labels ?? NumLabels;
        if (MultiLabel && (outputShape.Rank != 1 || (labels is int l && outputShape[0] != l)))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Name}: with multiLabel the output must be (None, labels){(labels is int n ? $" with {n} labels" : string.Empty)}, but it is {outputShape.ToBatchString()}."), nameof(outputShape));
        }

        if (_labelWeights is double[] weights && (outputShape.Rank == 0 || (weights.Length != 1 && outputShape[-1] != weights.Length)))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Name}: {weights.Length} labelWeights need an output (None, ..., {weights.Length}) whose last axis has a column per weight (or one weight for every column), but it is {outputShape.ToBatchString()}."), nameof(outputShape));
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A target is not 0 or 1 (the message names it).</exception>
    public override void ValidateTargets(Tensor targets, TensorShape outputShape) => CheckBinary(targets);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A target is not 0 or 1 (the message names it), or the shapes do not fit the labels; nothing is counted then.</exception>
    public override void Update(Tensor predictions, Tensor targets) => Update(predictions, targets, default);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">As for <see cref="Update(Tensor, Tensor)"/>, or the weights are not one per sample.</exception>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        CheckBinary(targets);
        ConfusionCounts counts = _counts ?? FirstBatchCounts(predictions);

        // The counts of a first multi-label batch are kept only once its update has passed every check (the weights
        // too), so a refused batch does not fix the number of labels.
        counts.Update(Name, predictions, targets, sampleWeights);
        _counts = counts;
    }

    /// <inheritdoc/>
    public override double Result()
    {
        if (_counts is null)
        {
            return 0;
        }

        double total = 0;
        for (int label = 0; label < _counts.Labels; label++)
        {
            double area = Curve == AucCurve.PR && SummationMethod == AucSummationMethod.Interpolation ? InterpolatedPrArea(label) : RiemannArea(label);
            total += area * (_labelWeights is null || !MultiLabel ? 1 : AucCounting.Broadcast(_labelWeights, label));
        }

        // Keras: the sum for one label, else the mean of the labels' areas, or divide_no_nan(sum(area * label_weights),
        // sum(label_weights)): the sum of the weights given, so one weight broadcast over every label divides once.
        return !MultiLabel ? total : _labelWeights is null ? total / _counts.Labels : MetricMath.DivideNoNan(total, _labelWeights.Sum());
    }

    /// <summary>
    /// The ROC curve through the counts accumulated since the last <see cref="Metric.Reset"/>: the false and true positive
    /// rates at each of <see cref="Thresholds"/>, from the lowest threshold (near (1, 1)) to the highest (near (0, 0)) —
    /// the points whose trapezoids <see cref="Result"/> sums for the ROC curve with <see cref="AucSummationMethod.Interpolation"/>.
    /// Read it after <c>Evaluate</c> to plot the curve.
    /// </summary>
    /// <returns>The false positive rates (x) and true positive rates (y), one per threshold.</returns>
    /// <exception cref="InvalidOperationException">The metric is <see cref="MultiLabel"/>: it has one curve per label.</exception>
    public (double[] FalsePositiveRates, double[] TruePositiveRates) RocCurve()
    {
        if (MultiLabel)
        {
            throw new InvalidOperationException($"{Name} counts each label apart (multiLabel), so it has one ROC curve per label rather than one; use an Auc without multiLabel for the curve of every prediction together.");
        }

        var x = new double[NumThresholds];
        var y = new double[NumThresholds];
        for (int i = 0; i < NumThresholds; i++)
        {
            (x[i], y[i], _) = Rates(0, i);
        }

        return (x, y);
    }

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        // Keras' get_config: every setting, and the given thresholds (without the two ends) only when there were some.
        var config = new Config()
            .Set("num_thresholds", NumThresholds)
            .Set("curve", Curve == AucCurve.Roc ? "ROC" : "PR")
            .Set("summation_method", SummationMethod.ToString().ToLowerInvariant())
            .Set("multi_label", MultiLabel)
            .Set("num_labels", (long?)NumLabels);
        config = _labelWeights is null ? config.SetNull("label_weights") : config.Set("label_weights", (ReadOnlySpan<double>)_labelWeights);
        config.Set("from_logits", FromLogits);
        return _given is double[] given ? config.Set("thresholds", (ReadOnlySpan<double>)given) : config;
    }

    /// <summary>
    /// Reads Keras' configuration: <c>num_thresholds</c> (ignored when <c>thresholds</c> is a list), <c>curve</c>
    /// (<c>"ROC"</c>/<c>"roc"</c>, <c>"PR"</c>/<c>"pr"</c>), <c>summation_method</c> (<c>"interpolation"</c>, <c>"minoring"</c>,
    /// <c>"majoring"</c>, or capitalised), <c>thresholds</c>, <c>multi_label</c>, <c>num_labels</c>, <c>label_weights</c> (a
    /// list, or the <c>__tensor__</c> / <c>__numpy__</c> object Keras writes for its tensor) and <c>from_logits</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">A value is not one Keras writes.</exception>
    internal static Auc FromConfig(Config c)
    {
        AucCurve curve = c.GetString("curve", "ROC") switch
        {
            "ROC" or "roc" => AucCurve.Roc,
            "PR" or "pr" => AucCurve.PR,
            string other => throw c.Error($"AUC \"curve\" is \"{FormatError.Shorten(other)}\"; expected \"ROC\" or \"PR\"."),
        };
        AucSummationMethod summation = c.GetString("summation_method", "interpolation") switch
        {
            "interpolation" or "Interpolation" => AucSummationMethod.Interpolation,
            "minoring" or "Minoring" => AucSummationMethod.Minoring,
            "majoring" or "Majoring" => AucSummationMethod.Majoring,
            string other => throw c.Error($"AUC \"summation_method\" is \"{FormatError.Shorten(other)}\"; expected \"interpolation\", \"majoring\" or \"minoring\"."),
        };
        double[]? thresholds = c.Contains("thresholds") ? c.GetDoubleArray("thresholds") : null;
        long? numLabels = c.GetNullableInt64("num_labels");
        return new Auc(
            thresholds is null ? c.GetInt32("num_thresholds", 200) : 200,
            curve,
            summation,
            thresholds,
            c.GetBoolean("multi_label", false),
            numLabels is long n ? checked((int)n) : null,
            ReadLabelWeights(c),
            c.GetBoolean("from_logits", false));
    }

    // label_weights: null, a list, or Keras' {"class_name": "__tensor__" or "__numpy__", "config": {"value": [...]}}.
    private static double[]? ReadLabelWeights(Config c)
    {
        if (c.GetNode("label_weights") is not JsonObject wrapped)
        {
            return c.Contains("label_weights") ? c.GetDoubleArray("label_weights") : null;
        }

        Config tensor = c.GetConfig("label_weights");
        string kind = tensor.GetString("class_name", string.Empty);
        return kind is "__tensor__" or "__numpy__"
            ? tensor.GetConfig("config").GetDoubleArray("value")
            : throw c.Error($"AUC \"label_weights\" is {Config.Describe(wrapped)}; expected a list of numbers or a Keras __tensor__.");
    }

    private static double[] EvenThresholds(int numThresholds)
    {
        var thresholds = new double[numThresholds];
        thresholds[0] = -Epsilon;
        for (int i = 1; i < numThresholds - 1; i++)
        {
            thresholds[i] = (double)i / (numThresholds - 1);
        }

        thresholds[^1] = 1 + Epsilon;
        return thresholds;
    }

    private static double[]? CheckLabelWeights(IReadOnlyList<double>? labelWeights, bool multiLabel, int? numLabels)
    {
        if (numLabels is int n)
        {
            // Keras: "`num_labels` is needed only when `multi_label` is True."
            ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(numLabels));
            if (!multiLabel)
            {
                throw new ArgumentException($"Auc takes numLabels only with multiLabel: true, but got numLabels={n} without it.", nameof(numLabels));
            }
        }

        if (labelWeights is null)
        {
            return null;
        }

        if (labelWeights.Count == 0)
        {
            throw new ArgumentException("Auc expects one labelWeights entry per label but got an empty list.", nameof(labelWeights));
        }

        double[] weights = [.. labelWeights];
        double[] invalid = [.. weights.Where(w => !(w >= 0 && double.IsFinite(w)))];
        if (invalid.Length > 0)
        {
            throw new ArgumentOutOfRangeException(nameof(labelWeights), $"Auc expects non-negative, finite labelWeights but got [{ConfusionThresholds.Format(invalid)}].");
        }

        if (numLabels is int labels && weights.Length != labels && weights.Length != 1)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Auc expects one labelWeights entry per label (or one for every label): numLabels is {labels} but {weights.Length} weights were given."), nameof(labelWeights));
        }

        return weights;
    }

    private void CheckLabelCount(int labels)
    {
        if (_labelWeights is double[] weights && weights.Length != labels && weights.Length != 1)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Name}: the predictions have {labels} labels (columns) but {weights.Length} labelWeights were given; expected one per label, or one for every label."), "predictions");
        }
    }

    private ConfusionCounts FirstBatchCounts(Tensor predictions)
    {
        if (predictions.Rank != 2)
        {
            throw new ArgumentException($"{Name}: with multiLabel the predictions must be (batch, labels) but are {predictions.Shape}.", nameof(predictions));
        }

        CheckLabelCount(predictions.Shape[1]);
        return MakeCounts(predictions.Shape[1]);
    }

    private ConfusionCounts MakeCounts(int? labels) =>
        new(_thresholds, new AucCounting(MultiLabel ? labels : null, FromLogits, MultiLabel ? null : _labelWeights), _evenlySpaced);

    private static void CheckBinary(Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        for (int i = 0; i < t.Length; i++)
        {
            if (t[i] is not (0f or 1f))
            {
                throw new ArgumentException(System.FormattableString.Invariant($"auc: targets must be 0 or 1, but element {i} is {t[i]}."), nameof(targets));
            }
        }
    }

    // Keras' result() for every case but PR with interpolation: rectangles between successive points of the curve, of the
    // mean, lower or higher height of their ends.
    private double RiemannArea(int label)
    {
        double area = 0;
        (double x0, double y0) = Point(label, 0);
        for (int i = 1; i < NumThresholds; i++)
        {
            (double x1, double y1) = Point(label, i);
            double height = SummationMethod switch
            {
                AucSummationMethod.Interpolation => (y0 + y1) / 2,
                AucSummationMethod.Minoring => Math.Min(y0, y1),
                _ => Math.Max(y0, y1),
            };
            area += (x0 - x1) * height;
            (x0, y0) = (x1, y1);
        }

        return area;
    }

    // (false positive rate, recall) for ROC, (recall, precision) for PR, at threshold i of one label.
    private (double X, double Y) Point(int label, int i)
    {
        (double falsePositiveRate, double recall, double precision) = Rates(label, i);
        return Curve == AucCurve.Roc ? (falsePositiveRate, recall) : (recall, precision);
    }

    // Keras' divide_no_nan rates at threshold i of one label.
    private (double FalsePositiveRate, double Recall, double Precision) Rates(int label, int i)
    {
        ConfusionCounts c = _counts!;
        int at = (i * c.Labels) + label;
        double tp = c.TruePositives[at], fp = c.FalsePositives[at];
        return (MetricMath.DivideNoNan(fp, fp + c.TrueNegatives[at]), MetricMath.DivideNoNan(tp, tp + c.FalseNegatives[at]), MetricMath.DivideNoNan(tp, tp + fp));
    }

    // Keras' interpolate_pr_auc (Davis and Goadrich): true and false positives linear between thresholds.
    private double InterpolatedPrArea(int label)
    {
        ConfusionCounts c = _counts!;
        int stride = c.Labels;
        double area = 0;
        for (int i = 0, a = label, b = label + stride; i < NumThresholds - 1; i++, a += stride, b += stride)
        {
            double dtp = c.TruePositives[a] - c.TruePositives[b];
            double p0 = c.TruePositives[a] + c.FalsePositives[a], p1 = c.TruePositives[b] + c.FalsePositives[b];
            double slope = MetricMath.DivideNoNan(dtp, Math.Max(p0 - p1, 0));
            double intercept = c.TruePositives[b] - (slope * p1);
            double pRatio = p0 > 0 && p1 > 0 ? MetricMath.DivideNoNan(p0, Math.Max(p1, 0)) : 1;
            area += MetricMath.DivideNoNan(slope * (dtp + (intercept * Math.Log(pRatio))), Math.Max(c.TruePositives[b] + c.FalseNegatives[b], 0));
        }

        return area;
    }
}
