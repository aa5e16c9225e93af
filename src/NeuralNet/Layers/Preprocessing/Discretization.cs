using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Buckets continuous values by ranges (Keras' <c>Discretization</c>): each value becomes the index of its bin, the
/// bins being <c>(-inf, b0), [b0, b1), ..., [b_last, +inf)</c> for the boundaries b, so a value equal to a boundary
/// goes to the bin above it (NumPy's <c>digitize</c>, Keras' rule). The boundaries are given, or learned as quantiles
/// by <see cref="Adapt(Tensor)"/>. The output is the bin indices (as floats) or an encoding of them over as many
/// categories as there are bins, see <see cref="CategoryOutputMode"/>.
/// </summary>
/// <remarks>
/// <para><see cref="Adapt(Tensor)"/> runs Keras 3's own approximate quantile summary step by step (not the
/// TensorFlow <c>BoostedTreesQuantiles</c> summary of Keras 2): the sorted data is sampled every n·ε values, each
/// batch's summary is merged into the running one and compressed to 1/ε points by linear interpolation of the
/// cumulative weights, and the boundaries are the summary compressed to <c>numBins</c> points without the last. On
/// data of fewer than 1/ε values the boundaries are exact interpolated quantiles; with the same float32 summaries and
/// float64 interpolation as NumPy, the boundaries are Keras'. Keras' quirks are kept: with fewer summary points than
/// <c>numBins</c> the boundaries are all those points but the last, and for some <c>numBins</c> (49, 98, ...) the
/// rounding of 1/(1/numBins) gives one bin more. Adapt rejects NaN; in the forward pass NaN goes to the last bin, as
/// with NumPy.</para>
/// <para>The boundaries are saved in the configuration (<c>bin_boundaries</c>), as Keras does. Bin indices are not
/// differentiable: the input gradient is zero.</para>
/// </remarks>
/// <example><c>new Discretization(binBoundaries: [0f, 1f, 2f])</c> maps [-1.5, 1.0, 3.4, 0.5] to [0, 2, 3, 1].</example>
public sealed class Discretization : Layer
{
    private float[]? _boundaries;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int[] _ids = [];
    private int _builtDepth = -1;
    private int _batch = -1;

    /// <summary>Creates a discretization layer from boundaries, or with a number of bins to learn by <see cref="Adapt(Tensor)"/>.</summary>
    /// <param name="binBoundaries">The bin boundaries, non-decreasing and finite; set this or <paramref name="numBins"/>.</param>
    /// <param name="numBins">The number of bins whose boundaries <see cref="Adapt(Tensor)"/> learns; at least 1.</param>
    /// <param name="epsilon">The quantile summary's tolerance in (0, 1] (Keras' default 0.01): smaller is finer.</param>
    /// <param name="outputMode">Bin indices (Keras' default) or their one-hot, multi-hot or count encoding.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>discretization</c>, ...</param>
    /// <exception cref="ArgumentException">Both or neither of <paramref name="binBoundaries"/> and <paramref name="numBins"/> are set, or the boundaries are not finite and non-decreasing.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBins"/> is below 1, <paramref name="epsilon"/> is outside (0, 1], or the mode is not defined.</exception>
    public Discretization(IReadOnlyList<float>? binBoundaries = null, int? numBins = null, double epsilon = 0.01, CategoryOutputMode outputMode = CategoryOutputMode.Int, string? name = null)
        : base(name)
    {
        if (numBins is not null && binBoundaries is not null)
        {
            throw new ArgumentException($"Both `num_bins` and `bin_boundaries` should not be set. Received: numBins={numBins} and {binBoundaries.Count} binBoundaries.", nameof(numBins));
        }

        if (numBins is null && binBoundaries is null)
        {
            throw new ArgumentException("You need to set either `num_bins` or `bin_boundaries`.", nameof(numBins));
        }

        if (numBins is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numBins), numBins, $"`num_bins` must be at least 1. Received: numBins={numBins}.");
        }

        if (!(epsilon > 0 && epsilon <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"epsilon must be in (0, 1]. Received: epsilon={epsilon}.");
        }

        CategoryEncoder.CheckDefined(outputMode, nameof(outputMode));
        if (binBoundaries is not null)
        {
            _boundaries = CheckBoundaries(binBoundaries, nameof(binBoundaries));
        }

        NumBins = numBins;
        Epsilon = epsilon;
        OutputMode = outputMode;
    }

    /// <summary>The number of bins to learn, or null for a layer given its boundaries.</summary>
    public int? NumBins { get; }

    /// <summary>The quantile summary's tolerance.</summary>
    public double Epsilon { get; }

    /// <summary>Bin indices or their encoding.</summary>
    public CategoryOutputMode OutputMode { get; }

    /// <summary>The boundaries in use (given or learned), or null before <see cref="Adapt(Tensor)"/>.</summary>
    public IReadOnlyList<float>? BinBoundaries => _boundaries;

    /// <summary>The number of bins, the categories of an encoded output: the boundaries plus one, or <see cref="NumBins"/> before they are learned.</summary>
    public int Depth => _boundaries is null ? NumBins!.Value : _boundaries.Length + 1;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "discretization";

    /// <inheritdoc/>
    /// <remarks>Keras' keys; <c>bin_boundaries</c> holds the learned boundaries after <see cref="Adapt(Tensor)"/>, so they are saved with the model.</remarks>
    public override Config GetConfig()
    {
        Config config = base.GetConfig();
        config = _boundaries is null ? config.SetNull("bin_boundaries") : config.Set("bin_boundaries", (ReadOnlySpan<double>)[.. _boundaries.Select(b => (double)b)]);
        return config.Set("num_bins", (long?)NumBins)
            .Set("epsilon", Epsilon)
            .Set("output_mode", CategoryEncoder.Name(OutputMode))
            .Set("sparse", false);
    }

    /// <summary>Keras' <c>from_config</c>: with both <c>num_bins</c> and <c>bin_boundaries</c> (an adapted layer) the boundaries are restored as learned ones.</summary>
    internal static Discretization FromConfig(Config config)
    {
        CategoryEncoder.RequireDense(config);
        float[]? boundaries = config.Contains("bin_boundaries") ? [.. config.GetDoubleArray("bin_boundaries").Select(b => (float)b)] : null;
        int? numBins = config.GetNullableInt64("num_bins") is long bins ? (int)Math.Clamp(bins, int.MinValue, int.MaxValue) : null;
        double epsilon = config.GetDouble("epsilon", 0.01);
        CategoryOutputMode mode = CategoryEncoder.Read(config, "int");
        string name = config.GetString("name");
        try
        {
            if (numBins is not null && boundaries is not null)
            {
                var layer = new Discretization(null, numBins, epsilon, mode, name);
                layer._boundaries = CheckBoundaries(boundaries, "bin_boundaries");
                return layer;
            }

            return new Discretization(boundaries, numBins, epsilon, mode, name);
        }
        catch (ArgumentException e)
        {
            throw config.Error(e.Message, e);
        }
    }

    /// <summary>
    /// Learns the boundaries of <see cref="NumBins"/> bins at evenly spaced quantiles of <paramref name="data"/> (Keras'
    /// <c>adapt</c> on an array), replacing any learned before.
    /// </summary>
    /// <param name="data">The values, any shape; every value counts.</param>
    /// <exception cref="InvalidOperationException">The layer was given its boundaries, or is built in an encoding mode for another number of bins than the data gives.</exception>
    /// <exception cref="ArgumentException">The data holds NaN (the message names the sample and position).</exception>
    public void Adapt(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Adapt([data]);
    }

    /// <summary>
    /// Learns the boundaries from batches as Keras' <c>adapt</c> does from a dataset: each batch is summarized and merged
    /// into the running summary (which compresses it to 1/ε points), so, as in Keras, the result can differ slightly
    /// from one call on all the data. Nothing changes when a batch is rejected.
    /// </summary>
    /// <param name="batches">The batches, any shapes; read once.</param>
    /// <param name="cancellationToken">Checked before each batch; nothing changes when it is canceled.</param>
    /// <exception cref="InvalidOperationException">The layer was given its boundaries, or is built in an encoding mode for another number of bins than the data gives.</exception>
    /// <exception cref="ArgumentException">There are no batches, or a batch holds NaN (the message names the batch, sample and position).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public void Adapt(IEnumerable<Tensor> batches, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (NumBins is not int numBins)
        {
            throw new InvalidOperationException($"Cannot adapt {Describe()}: it was initialized with `bin_boundaries`; use `num_bins` instead.");
        }

        (float[] Values, float[] Weights) summary = ([], []);
        int batchIndex = 0;
        foreach (Tensor batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (batch is null)
            {
                throw new ArgumentNullException(nameof(batches), string.Create(CultureInfo.InvariantCulture, $"Batch {batchIndex} is null."));
            }

            ReadOnlySpan<float> values = batch.AsReadOnlySpan();
            int nan = FindNaN(values);
            if (nan >= 0)
            {
                int sampleLength = batch.Rank == 0 ? 1 : batch.Length / batch.Shape[0];
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{Describe()} cannot adapt to NaN, found in batch {batchIndex} in {CategoryEncoder.Where(nan, sampleLength)}."), nameof(batches));
            }

            summary = QuantileSummary.Merge(QuantileSummary.Summarize(values, Epsilon), summary, Epsilon);
            batchIndex++;
        }

        if (batchIndex == 0)
        {
            throw new ArgumentException($"{Describe()} got no batches to adapt to.", nameof(batches));
        }

        float[] boundaries = QuantileSummary.BinBoundaries(summary, numBins);
        if (_builtDepth >= 0 && OutputMode != CategoryOutputMode.Int && boundaries.Length + 1 != _builtDepth)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} was built with {_builtDepth} bins for its {OutputMode} output, but the data gives {boundaries.Length + 1}; adapt before building the model."));
        }

        _boundaries = boundaries;
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        _builtDepth = Depth;
        return CategoryEncoder.OutputShape(inputShape, OutputMode, _builtDepth);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        // A later call of a shared layer runs on a copy made before Adapt: the boundaries are the called layer's.
        float[] boundaries = ((Discretization)Primary)._boundaries ?? throw new InvalidOperationException(
            $"{Describe()} has no bin boundaries: you need to either pass the `bin_boundaries` argument at construction time or call `Adapt` before you can start using it.");
        if (OutputMode != CategoryOutputMode.Int && boundaries.Length + 1 != _builtDepth)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} was built with {_builtDepth} bins for its {OutputMode} output but has {boundaries.Length + 1}."));
        }

        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        _batch = input.Shape[0];
        Tensor output = BatchView(ref _output, _batch, OutputShape);
        if (OutputMode == CategoryOutputMode.Int)
        {
            Span<float> y = output.AsSpan();
            for (int i = 0; i < x.Length; i++)
            {
                y[i] = Bucket(x[i], boundaries);
            }

            return output;
        }

        if (_ids.Length < x.Length)
        {
            _ids = new int[x.Length];
        }

        Span<int> ids = _ids.AsSpan(0, x.Length);
        for (int i = 0; i < x.Length; i++)
        {
            ids[i] = Bucket(x[i], boundaries);
        }

        CategoryEncoder.Encode(ids, CategoryEncoder.RowLength(InputShape), OutputMode, _builtDepth, output.AsSpan());
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        IdGradient.CheckBatch(this, outputGradient, _batch);
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        // Bin indices are piecewise constant: the gradient is zero.
        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        inputGradient.AsSpan().Clear();
        return inputGradient;
    }

    /// <summary>The bin of <paramref name="value"/>: the number of boundaries at or below it (NumPy's <c>digitize</c>, right=False); NaN goes last.</summary>
    internal static int Bucket(float value, ReadOnlySpan<float> boundaries)
    {
        if (float.IsNaN(value))
        {
            return boundaries.Length;
        }

        int lo = 0, hi = boundaries.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (boundaries[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static int FindNaN(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static float[] CheckBoundaries(IReadOnlyList<float> boundaries, string parameterName)
    {
        float[] copy = [.. boundaries];
        for (int i = 0; i < copy.Length; i++)
        {
            if (!float.IsFinite(copy[i]) || (i > 0 && copy[i] < copy[i - 1]))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Bin boundaries must be finite and non-decreasing, but boundary {i} is {copy[i]}{(i > 0 ? $" after {copy[i - 1]}" : string.Empty)}."), parameterName);
            }
        }

        return copy;
    }
}
