using NeuralNet.Losses;

namespace NeuralNet.Training;

/// <summary>
/// Keras' masked losses and metrics for one model output that carries a mask (batch, ...), or whose loss masks entries
/// itself (<c>ignore_class</c>): the output's positions become rows, (batch·positions, last axis), and each row's weight
/// is its mask value (times its sample's weight) times the loss's reduction factor, so the loss is Σ mask·loss / Σ mask
/// (or the sum, or Σ mask·w·loss / Σ mask·w) as in Keras' <c>apply_mask</c>. Metrics see only the model's mask, as in
/// Keras, where <c>ignore_class</c> masks the loss's values and not the predictions. Sample weights of one value per
/// entry (Keras' <c>sample_weight</c> shaped as the loss values) take the same rows, each with its own weight. Views and
/// weights are kept between batches.
/// </summary>
internal sealed class MaskedOutput
{
    // The row views made, by the tensor they view: predictions, targets and gradients, for each length a model with
    // variable axes keeps (its variants own other tensors), so going back to a length allocates nothing.
    private readonly List<(Tensor Source, Tensor View)> _predictionViews = [], _targetViews = [], _gradientViews = [];
    private const int MaxViews = Models.GraphExecutor.MaxVariants + 1;
    private float[] _lossWeights = [];
    private float[] _metricWeights = [];
    private float[] _unweightedMetricWeights = [];

    /// <summary>The number of rows: positions over the whole batch.</summary>
    public int Rows { get; private set; }

    /// <summary>
    /// Whether the row views keep the output's rank, (rows, 1, …, 1, last axis), set for an output whose loss or metric
    /// names the last axis by its index (axis = rank − 1, as Keras allows): a (rows, last axis) view has no such axis.
    /// </summary>
    public bool KeepsRank { get; init; }

    /// <summary>Whether the model's output carries a mask (else only the loss masks entries, and metrics see every row).</summary>
    public bool HasModelMask { get; private set; }

    /// <summary>
    /// Whether the sample weights give each row its own weight (rather than each sample one), so that weighted metrics see
    /// the rows even without a model mask.
    /// </summary>
    public bool HasEntryWeights { get; private set; }

    /// <summary>The rows' weights for the loss: mask · rows / Σ mask (times sample weights), so the mean over rows is Keras' masked mean.</summary>
    public ReadOnlySpan<float> LossWeights => _lossWeights.AsSpan(0, Rows);

    /// <summary>The rows' weights for weighted metrics: mask times sample weights.</summary>
    public ReadOnlySpan<float> MetricWeights => _metricWeights.AsSpan(0, Rows);

    /// <summary>The rows' weights for plain metrics: the mask alone.</summary>
    public ReadOnlySpan<float> UnweightedMetricWeights => _unweightedMetricWeights.AsSpan(0, Rows);

    /// <summary>
    /// Takes the model's mask of the batch (null when only the loss or the weights mask entries), the loss, the batch's
    /// predictions and targets, and the weights (empty for none): one per sample, or, when <paramref name="perEntry"/>, one
    /// per row, with <paramref name="givenWeightSum"/> the sum of the weights as given (before broadcasting), the divisor of
    /// <c>mean_with_sample_weight</c> when neither the model nor the loss masks entries, as in Keras.
    /// </summary>
    /// <exception cref="NotSupportedException">The weights are per entry but the model's mask has another number of rows.</exception>
    public void Prepare(Tensor? mask, Loss? loss, Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights, bool perEntry = false, double givenWeightSum = double.NaN)
    {
        ReadOnlySpan<float> m = mask is null ? default : mask.AsReadOnlySpan();
        int rows = mask is null ? Loss.Entries(predictions) : m.Length;
        if (perEntry && sampleWeights.Length != rows)
        {
            throw new NotSupportedException(System.FormattableString.Invariant(
                $"The output {predictions.Shape} carries a mask of {rows} values, but sampleWeight gives {sampleWeights.Length}, one per row of its last axis; weights per entry take an output whose mask has one value per row of its last axis."));
        }

        if (_lossWeights.Length < rows)
        {
            _lossWeights = new float[rows];
            _metricWeights = new float[rows];
            _unweightedMetricWeights = new float[rows];
        }

        Rows = rows;
        HasModelMask = mask is not null;
        HasEntryWeights = perEntry;
        int samples = predictions.Shape[0];

        // Per entry, each row is its own "sample" of the weights.
        int perSample = perEntry || samples == 0 ? 1 : rows / samples;
        for (int r = 0; r < rows; r++)
        {
            float keep = mask is null || m[r] != 0f ? 1f : 0f;
            float sample = sampleWeights.IsEmpty ? 1f : sampleWeights[r / perSample];
            _unweightedMetricWeights[r] = keep;
            _metricWeights[r] = keep * sample;
            _lossWeights[r] = keep;
        }

        // The loss's own mask (ignore_class) joins the model's for the loss only: Keras' in_mask & out_mask.
        Span<float> lossKeep = _lossWeights.AsSpan(0, rows);
        loss?.MaskEntries(targets, lossKeep);
        double valid = 0, weightedValid = 0;
        for (int r = 0; r < rows; r++)
        {
            valid += lossKeep[r] != 0f ? 1 : 0;
            weightedValid += lossKeep[r] * (double)(sampleWeights.IsEmpty ? 1f : sampleWeights[r / perSample]);
        }

        // Keras' reduce_values divides mean_with_sample_weight by the sum of its sample_weight: the weights as given, unless
        // apply_mask multiplied a mask into them, which broadcasts them to the values' shape.
        if (!double.IsNaN(givenWeightSum) && mask is null && loss is not { MasksEntries: true })
        {
            weightedValid = givenWeightSum;
        }

        // Keras: mask · total / valid for the means (a batch with nothing valid weighs nothing), the mask alone for a sum.
        float scale = (float)LossReductionNames.Masked(loss?.Reduction ?? LossReduction.SumOverBatchSize, rows, valid, weightedValid);
        for (int r = 0; r < rows; r++)
        {
            float keep = lossKeep[r];
            float sample = sampleWeights.IsEmpty ? 1f : sampleWeights[r / perSample];
            _lossWeights[r] = keep * scale * sample;
        }
    }

    /// <summary>The predictions as rows (batch·positions, last axis).</summary>
    public Tensor Predictions(Tensor predictions) => View(predictions, _predictionViews);

    /// <summary>The targets as rows: (batch·positions, rest), or (batch·positions) for one value per position.</summary>
    public Tensor Targets(Tensor targets) => View(targets, _targetViews);

    /// <summary>The gradient buffer as rows, sharing its memory.</summary>
    public Tensor Gradient(Tensor gradient) => View(gradient, _gradientViews);

    private Tensor View(Tensor source, List<(Tensor Source, Tensor View)> views)
    {
        for (int i = 0; i < views.Count; i++)
        {
            (Tensor viewed, Tensor kept) = views[i];
            if (ReferenceEquals(viewed, source) && kept.Shape[0] == Rows)
            {
                return kept;
            }
        }

        int rest = source.Length / Rows;
        Tensor view = KeepsRank && source.Rank > 2 ? source.Reshape(RankKept(source.Rank, rest))
            : rest == 1 && source.Rank <= 2 ? source.Reshape(Rows) : source.Reshape(Rows, rest);
        if (views.Count == MaxViews)
        {
            views.RemoveAt(0);
        }

        views.Add((source, view));
        return view;
    }

    // (rows, 1, …, 1, rest) of the given rank; made once per view.
    private int[] RankKept(int rank, int rest)
    {
        var dimensions = new int[rank];
        dimensions.AsSpan().Fill(1);
        dimensions[0] = Rows;
        dimensions[^1] = rest;
        return dimensions;
    }
}
