namespace NeuralNet.Training;

/// <summary>
/// Keras' masked losses and metrics for one model output that carries a mask (batch, ...): the output's positions
/// become rows, (batch·positions, last axis), and each row's weight is its mask value (times its sample's weight), so
/// the loss is Σ mask·loss / Σ mask as in Keras' <c>apply_mask</c>. Views and weights are kept between batches.
/// </summary>
internal sealed class MaskedOutput
{
    private Tensor? _predictionSource;
    private Tensor? _predictionView;
    private Tensor? _targetSource;
    private Tensor? _targetView;
    private Tensor? _gradientSource;
    private Tensor? _gradientView;
    private float[] _lossWeights = [];
    private float[] _metricWeights = [];
    private float[] _unweightedMetricWeights = [];

    /// <summary>The number of rows: positions over the whole batch.</summary>
    public int Rows { get; private set; }

    /// <summary>The rows' weights for the loss: mask · rows / Σ mask (times sample weights), so the mean over rows is Keras' masked mean.</summary>
    public ReadOnlySpan<float> LossWeights => _lossWeights.AsSpan(0, Rows);

    /// <summary>The rows' weights for weighted metrics: mask times sample weights.</summary>
    public ReadOnlySpan<float> MetricWeights => _metricWeights.AsSpan(0, Rows);

    /// <summary>The rows' weights for plain metrics: the mask alone.</summary>
    public ReadOnlySpan<float> UnweightedMetricWeights => _unweightedMetricWeights.AsSpan(0, Rows);

    /// <summary>Takes the mask of the batch and the samples' weights (empty for none).</summary>
    public void Prepare(Tensor mask, ReadOnlySpan<float> sampleWeights)
    {
        ReadOnlySpan<float> m = mask.AsReadOnlySpan();
        int rows = m.Length;
        if (_lossWeights.Length < rows)
        {
            _lossWeights = new float[rows];
            _metricWeights = new float[rows];
            _unweightedMetricWeights = new float[rows];
        }

        Rows = rows;
        int perSample = rows / mask.Shape[0];
        double valid = 0;
        for (int r = 0; r < rows; r++)
        {
            valid += m[r] != 0f ? 1 : 0;
        }

        // Keras: mask · total / valid; a batch with nothing valid weighs nothing.
        float scale = valid == 0 ? 0f : (float)(rows / valid);
        for (int r = 0; r < rows; r++)
        {
            float keep = m[r] != 0f ? 1f : 0f;
            float sample = sampleWeights.IsEmpty ? 1f : sampleWeights[r / perSample];
            _unweightedMetricWeights[r] = keep;
            _metricWeights[r] = keep * sample;
            _lossWeights[r] = keep * scale * sample;
        }
    }

    /// <summary>The predictions as rows (batch·positions, last axis).</summary>
    public Tensor Predictions(Tensor predictions) => View(predictions, ref _predictionSource, ref _predictionView);

    /// <summary>The targets as rows: (batch·positions, rest), or (batch·positions) for one value per position.</summary>
    public Tensor Targets(Tensor targets) => View(targets, ref _targetSource, ref _targetView);

    /// <summary>The gradient buffer as rows, sharing its memory.</summary>
    public Tensor Gradient(Tensor gradient) => View(gradient, ref _gradientSource, ref _gradientView);

    private Tensor View(Tensor source, ref Tensor? viewed, ref Tensor? view)
    {
        if (!ReferenceEquals(source, viewed) || view is null || view.Shape[0] != Rows)
        {
            int rest = source.Length / Rows;
            view = rest == 1 && source.Rank <= 2 ? source.Reshape(Rows) : source.Reshape(Rows, rest);
            viewed = source;
        }

        return view;
    }
}
