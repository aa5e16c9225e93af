using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using NeuralNet.Initializers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Shifts and scales features to mean 0 and variance 1 (Keras' <c>Normalization</c>):
/// <c>y = (x - mean) / max(sqrt(variance), 1e-7)</c>, with a mean and a variance per index of the kept axes, learned by
/// <see cref="Adapt(Tensor)"/> or given to the constructor. With <c>invert</c> the layer undoes it:
/// <c>y = mean + x · max(sqrt(variance), 1e-7)</c>. Any input shape; the output has the input's shape.
/// </summary>
/// <remarks>
/// <para>Axes count the batch axis as Keras does: the default -1 keeps a mean and variance per feature of the last
/// axis, <c>axes: [1, 2]</c> one per index of the first two sample axes, and <c>axis: null</c> (Keras' None) a single
/// mean and variance for every value. The batch axis (0) cannot be kept.</para>
/// <para>State: an adapting layer holds Keras' three non-trainable weights, <c>mean</c> and <c>variance</c> (shaped as
/// the kept axes) and <c>count</c> (a scalar), saved with the model's weights. Keras 3 keeps <c>count</c> at 0; here it
/// holds the number of values each statistic was computed from (as Keras 2 did, as a float). A layer whose <c>count</c>
/// is 0 and whose statistics are still the initial ones (mean 0, variance 1) has not been adapted
/// (<see cref="IsAdapted"/> is false) and, as in Keras 3 (whose <c>build</c> finalizes the initial statistics), passes
/// values through unchanged. Statistics loaded from Keras 3's weights (with <c>count</c> 0) or set by hand are used as they are. A layer given <c>mean</c> and <c>variance</c> has no
/// weights: they are saved in its configuration, as Keras does.</para>
/// <para>Differentiable with respect to its input (<c>dx = dy / max(sqrt(variance), 1e-7)</c>, or times it when
/// inverted); the statistics get no gradient. After the first batch, forward and backward allocate nothing.</para>
/// </remarks>
/// <example>
/// <code>
/// var norm = new Normalization();
/// norm.Adapt(trainingFeatures);                        // (samples, features): a mean and variance per feature
/// var model = new Sequential([new InputLayer(features), norm, new Dense(1)]);
/// </code>
/// </example>
public sealed class Normalization : Layer
{
    /// <summary>The floor of the standard deviation (Keras' <c>backend.epsilon()</c>).</summary>
    public const float Epsilon = 1e-7f;

    private readonly int[] _axes;
    private readonly float[]? _inputMean;
    private readonly float[]? _inputVariance;
    private Parameter? _mean;
    private Parameter? _variance;
    private Parameter? _count;
    private float[] _givenMean = [];
    private float[] _givenVariance = [];
    private float[] _std = [];
    private float[] _meanRow = [];
    private float[] _stdRow = [];
    private int[]? _statIndex;
    private bool _trailing;
    private int[] _keptSampleAxes = [];
    private int _statCount;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;

    /// <summary>Creates a normalization layer over one kept axis, or over everything.</summary>
    /// <param name="axis">The axis with a mean and variance per index, counting the batch axis (-1, the default, is the last); null for a single mean and variance (Keras' <c>axis=None</c>).</param>
    /// <param name="mean">The means to use instead of adapting: one value for all, or one per index of the kept axes (row-major); given with <paramref name="variance"/>.</param>
    /// <param name="variance">The variances, as <paramref name="mean"/>; non-negative.</param>
    /// <param name="invert">Whether to undo the normalization: <c>y = mean + x · std</c>.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>normalization</c>, ...</param>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is 0 (the batch axis); only one of <paramref name="mean"/> and <paramref name="variance"/> is given, or they differ in length, are empty, or hold a non-finite value or a negative variance.</exception>
    public Normalization(int? axis = -1, float[]? mean = null, float[]? variance = null, bool invert = false, string? name = null)
        : this(axis is int a ? [a] : [], "axis", mean, variance, invert, name)
    {
    }

    /// <summary>Creates a normalization layer that keeps several axes (Keras' <c>axis=(1, 2)</c>).</summary>
    /// <param name="axes">The axes with a mean and variance per index, counting the batch axis; empty for a single mean and variance.</param>
    /// <param name="mean">The means to use instead of adapting: one value for all, or one per index of the kept axes (row-major); given with <paramref name="variance"/>.</param>
    /// <param name="variance">The variances, as <paramref name="mean"/>; non-negative.</param>
    /// <param name="invert">Whether to undo the normalization: <c>y = mean + x · std</c>.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>normalization</c>, ...</param>
    /// <exception cref="ArgumentException">An axis is 0 (the batch axis); only one of <paramref name="mean"/> and <paramref name="variance"/> is given, or they differ in length, are empty, or hold a non-finite value or a negative variance.</exception>
    public Normalization(int[] axes, float[]? mean = null, float[]? variance = null, bool invert = false, string? name = null)
        : this(axes ?? throw new ArgumentNullException(nameof(axes)), nameof(axes), mean, variance, invert, name)
    {
    }

    private Normalization(int[] axes, string axesName, float[]? mean, float[]? variance, bool invert, string? name)
        : base(name)
    {
        if (Array.IndexOf(axes, 0) >= 0)
        {
            throw new ArgumentException($"Normalization cannot keep axis 0, the batch axis: its size changes from batch to batch. Received: axis=[{string.Join(", ", axes)}].", axesName);
        }

        if ((mean is null) != (variance is null))
        {
            throw new ArgumentException($"When setting values directly, both `mean` and `variance` must be set. Received: mean={(mean is null ? "null" : "given")} and variance={(variance is null ? "null" : "given")}.", mean is null ? nameof(mean) : nameof(variance));
        }

        if (mean is not null && variance is not null)
        {
            if (mean.Length != variance.Length || mean.Length == 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"When setting values directly, `mean` and `variance` must have the same, non-zero length. Received: {mean.Length} means and {variance.Length} variances."), nameof(variance));
            }

            int bad = Array.FindIndex(mean, m => !float.IsFinite(m));
            if (bad >= 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"mean[{bad}] is {mean[bad]}; means must be finite."), nameof(mean));
            }

            bad = Array.FindIndex(variance, v => !(v >= 0 && float.IsFinite(v)));
            if (bad >= 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"variance[{bad}] is {variance[bad]}; variances must be finite and non-negative."), nameof(variance));
            }

            _inputMean = [.. mean];
            _inputVariance = [.. variance];
        }

        _axes = [.. axes];
        Invert = invert;
    }

    /// <summary>The kept axes as given, counting the batch axis; empty for a single mean and variance (Keras' None).</summary>
    public IReadOnlyList<int> Axes => _axes;

    /// <summary>Whether the layer undoes the normalization.</summary>
    public bool Invert { get; }

    /// <summary>The means given to the constructor, or null for a layer that adapts.</summary>
    public IReadOnlyList<float>? GivenMean => _inputMean;

    /// <summary>The variances given to the constructor, or null for a layer that adapts.</summary>
    public IReadOnlyList<float>? GivenVariance => _inputVariance;

    /// <summary>Whether the layer has statistics to use: given to the constructor, learned by <see cref="Adapt(Tensor)"/> (a
    /// <c>count</c> above 0), or loaded or set into <see cref="Mean"/> and <see cref="Variance"/> (any value other than the
    /// initial mean 0 and variance 1, as Keras 3's weights, whose <c>count</c> stays 0).</summary>
    public bool IsAdapted => _inputMean is not null || (_count is not null && (_count.Value.AsReadOnlySpan()[0] > 0f || HoldsStatistics()));

    /// <summary>The learned means (non-trainable, shaped as the kept axes); null for a layer given its statistics, or before it is built.</summary>
    public Parameter? Mean => _mean;

    /// <summary>The learned biased variances (non-trainable, shaped as the kept axes); null for a layer given its statistics, or before it is built.</summary>
    public Parameter? Variance => _variance;

    /// <summary>The number of values each learned statistic comes from (a non-trainable scalar, 0 until adapted); null for a layer given its statistics, or before it is built.</summary>
    public Parameter? Count => _count;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "normalization";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    /// <remarks>Keras' keys: <c>axis</c> (always a list, empty for None), <c>invert</c>, and <c>mean</c> and <c>variance</c> (the given values, or null).</remarks>
    public override Config GetConfig()
    {
        Config config = base.GetConfig().Set("axis", (ReadOnlySpan<int>)_axes).Set("invert", Invert);
        config = _inputMean is null ? config.SetNull("mean") : config.Set("mean", (ReadOnlySpan<double>)[.. _inputMean.Select(m => (double)m)]);
        return _inputVariance is null ? config.SetNull("variance") : config.Set("variance", (ReadOnlySpan<double>)[.. _inputVariance.Select(v => (double)v)]);
    }

    /// <summary>Keras' <c>from_config</c>: <c>axis</c> may be a number, a list or null; <c>mean</c> and <c>variance</c> numbers, (nested) lists or null.</summary>
    internal static Normalization FromConfig(Config config)
    {
        float[]? mean = ReadValues(config, "mean"), variance = ReadValues(config, "variance");
        bool invert = config.GetBoolean("invert", false);
        string name = config.GetString("name");
        try
        {
            return config.GetNode("axis") switch
            {
                null when config.Keys.Contains("axis") => new Normalization(axis: null, mean, variance, invert, name),
                null => new Normalization(-1, mean, variance, invert, name),
                JsonArray array when array.Count == 1 => new Normalization(config.GetInt32Array("axis", 1)[0], mean, variance, invert, name),
                JsonArray array when array.Count == 0 => new Normalization(axis: null, mean, variance, invert, name),
                JsonArray => new Normalization(config.GetInt32Array("axis", 32), mean, variance, invert, name),
                _ => new Normalization(config.GetInt32("axis"), mean, variance, invert, name),
            };
        }
        catch (ArgumentException e)
        {
            throw config.Error(e.Message, e);
        }
    }

    /// <summary>
    /// Learns the mean and the biased variance of <paramref name="data"/> over every axis but the kept ones (Keras'
    /// <c>adapt</c>), computed in float64 and stored as float32; builds the layer for <paramref name="data"/>'s sample
    /// shape if it is not built. Replaces any earlier statistics.
    /// </summary>
    /// <param name="data">A batch (samples, ...); the kept axes must have the layer's sizes, the others may differ from the built shape.</param>
    /// <exception cref="InvalidOperationException">The layer was given its mean and variance.</exception>
    /// <exception cref="ArgumentException">The data holds a non-finite value (the message names the sample and position), lacks a kept axis, or has kept axes of other sizes than the layer's.</exception>
    public void Adapt(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Adapt([data]);
    }

    /// <summary>
    /// Learns the statistics from batches, combined exactly as if they were one tensor (each batch's mean and sum of
    /// squared deviations in float64, merged with Chan et al.'s pairwise update), so that any split of the data gives
    /// the same statistics up to float64 rounding. Keras' <c>adapt</c> on a dataset merges batch means and variances
    /// with weights, the same formula in float32. Nothing changes when a batch is rejected.
    /// </summary>
    /// <param name="batches">The batches, each (samples, ...) with the same kept axes; read once.</param>
    /// <param name="cancellationToken">Checked before each batch; nothing changes when it is canceled.</param>
    /// <exception cref="InvalidOperationException">The layer was given its mean and variance.</exception>
    /// <exception cref="ArgumentException">There are no batches, a batch holds a non-finite value, or batches disagree on the kept axes (the message names the batch).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public void Adapt(IEnumerable<Tensor> batches, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (_inputMean is not null)
        {
            throw new InvalidOperationException($"{Describe()} was given its mean and variance, so it has nothing to adapt; create it without mean and variance to learn them.");
        }

        TensorShape? first = null;
        int[] kept = [];
        double[] mean = [], m2 = [];
        long n = 0;
        int batchIndex = 0;
        foreach (Tensor batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (batch is null)
            {
                throw new ArgumentNullException(nameof(batches), string.Create(CultureInfo.InvariantCulture, $"Batch {batchIndex} is null."));
            }

            if (batch.Rank == 0)
            {
                throw new ArgumentException($"{Describe()} adapts to batches with a batch axis first but got a tensor of shape {batch.Shape}.", nameof(batches));
            }

            TensorShape sample = batch.Shape.DropFirst();
            if (first is null)
            {
                TensorShape reference = IsBuilt ? InputShape : sample;
                kept = KeptSampleAxes(reference);
                first = reference;
                int statCount = KeptCount(reference, kept);
                mean = new double[statCount];
                m2 = new double[statCount];
            }

            CheckKeptAxes(sample, first.Value, kept, batchIndex);
            n = AccumulateBatch(batch, sample, kept, batchIndex, mean, m2, n);
            batchIndex++;
        }

        if (first is null || n == 0)
        {
            throw new ArgumentException($"{Describe()} got no {(first is null ? "batches" : "samples")} to adapt to.", nameof(batches));
        }

        if (!IsBuilt)
        {
            Build(first.Value);
        }
        else
        {
            InitializeParameters();
        }

        Span<float> meanValues = _mean!.Value.AsSpan(), varianceValues = _variance!.Value.AsSpan();
        for (int k = 0; k < mean.Length; k++)
        {
            meanValues[k] = (float)mean[k];
            varianceValues[k] = (float)(m2[k] / n);
        }

        _count!.Value.AsSpan()[0] = n;
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        int[] kept = KeptSampleAxes(inputShape);
        int statCount = KeptCount(inputShape, kept);
        var statShape = new TensorShape([.. kept.Select(a => inputShape[a])]);
        if (_inputMean is not null)
        {
            if (_inputMean.Length != 1 && _inputMean.Length != statCount)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} was given {_inputMean.Length} means and variances, but input {inputShape.ToBatchString()} keeps axes of shape {statShape}: expected 1 or {statCount}."), nameof(inputShape));
            }

        }
        else
        {
            _mean = AddParameter("mean", statShape, Zeros.Instance, trainable: false);
            _variance = AddParameter("variance", statShape, new Ones(), trainable: false);
            _count = AddParameter("count", new TensorShape(ReadOnlySpan<int>.Empty), Zeros.Instance, trainable: false);
        }

        _statCount = statCount;
        (_givenMean, _givenVariance, _std) = ([], [], []);
        _trailing = IsTrailing(inputShape, kept);
        _keptSampleAxes = kept;
        (_statIndex, _meanRow, _stdRow) = (null, [], []);
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        // A layer never adapted uses its initial statistics (mean 0, variance 1), as Keras 3's does: values pass through.
        ReadOnlySpan<float> mean = PrepareStatistics();
        _batch = input.Shape[0];
        Tensor output = BatchView(ref _output, _batch, OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        if (_statCount == 1)
        {
            if (Invert)
            {
                TensorPrimitives.Multiply(x, _std[0], y);
                TensorPrimitives.Add(y, mean[0], y);
            }
            else
            {
                TensorPrimitives.Subtract(x, mean[0], y);
                TensorPrimitives.Divide(y, _std[0], y);
            }

            return output;
        }

        ReadOnlySpan<float> std = _trailing ? _std : _stdRow;
        int row = std.Length;
        for (int start = 0; start < x.Length; start += row)
        {
            ReadOnlySpan<float> xr = x.Slice(start, row);
            Span<float> yr = y.Slice(start, row);
            if (Invert)
            {
                TensorPrimitives.Multiply(xr, std, yr);
                TensorPrimitives.Add(yr, mean, yr);
            }
            else
            {
                TensorPrimitives.Subtract(xr, mean, yr);
                TensorPrimitives.Divide(yr, std, yr);
            }
        }

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

        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        if (_statCount == 1)
        {
            if (Invert)
            {
                TensorPrimitives.Multiply(dy, _std[0], dx);
            }
            else
            {
                TensorPrimitives.Divide(dy, _std[0], dx);
            }

            return inputGradient;
        }

        ReadOnlySpan<float> std = _trailing ? _std : _stdRow;
        int row = std.Length;
        for (int start = 0; start < dy.Length; start += row)
        {
            if (Invert)
            {
                TensorPrimitives.Multiply(dy.Slice(start, row), std, dx.Slice(start, row));
            }
            else
            {
                TensorPrimitives.Divide(dy.Slice(start, row), std, dx.Slice(start, row));
            }
        }

        return inputGradient;
    }

    // The statistics are read from the weights at every call (they may have been adapted or loaded since the last one):
    // std = max(sqrt(variance), epsilon) per statistic, spread over a whole sample when the kept axes are not the
    // trailing ones. Returns the means in the layout the forward loop walks.
    // Keras 3 never sets count, so its saved statistics arrive with count 0: anything but the initial values is data.
    private bool HoldsStatistics()
    {
        ReadOnlySpan<float> mean = _mean!.Value.AsReadOnlySpan();
        ReadOnlySpan<float> variance = _variance!.Value.AsReadOnlySpan();
        for (int k = 0; k < mean.Length; k++)
        {
            if (mean[k] != 0f || variance[k] != 1f)
            {
                return true;
            }
        }

        return false;
    }

    private ReadOnlySpan<float> PrepareStatistics()
    {
        // Per kept index, so made on the first batch rather than at build: a small file naming a huge input shape and a
        // scalar mean must not allocate gigabytes while it loads.
        if (_std.Length != _statCount)
        {
            _std = new float[_statCount];
            if (_inputMean is not null)
            {
                _givenMean = Broadcast(_inputMean, _statCount);
                _givenVariance = Broadcast(_inputVariance!, _statCount);
            }
        }

        ReadOnlySpan<float> mean = _mean is null ? _givenMean : _mean.Value.AsReadOnlySpan();
        ReadOnlySpan<float> variance = _variance is null ? _givenVariance : _variance.Value.AsReadOnlySpan();
        for (int k = 0; k < _std.Length; k++)
        {
            _std[k] = MathF.Max(MathF.Sqrt(variance[k]), Epsilon);
        }

        if (_trailing)
        {
            return mean;
        }

        // As large as a sample, so made on the first batch, not when a file is loaded (a small file naming a huge input
        // shape must not allocate gigabytes before its weights are read).
        if (_statIndex is null)
        {
            _statIndex = StatIndexMap(InputShape, _keptSampleAxes);
            _meanRow = new float[_statIndex.Length];
            _stdRow = new float[_statIndex.Length];
        }

        int[] map = _statIndex;
        for (int i = 0; i < map.Length; i++)
        {
            _meanRow[i] = mean[map[i]];
            _stdRow[i] = _std[map[i]];
        }

        return _meanRow;
    }

    // Adds one batch to the running statistics (Chan et al.): the batch's own mean and squared deviations in float64,
    // then the pairwise merge. Returns the new count; throws on a non-finite value before touching the running sums.
    private long AccumulateBatch(Tensor batch, TensorShape sample, int[] kept, int batchIndex, double[] mean, double[] m2, long n)
    {
        ReadOnlySpan<float> x = batch.AsReadOnlySpan();
        if (x.IsEmpty)
        {
            // An empty batch (0 samples) adds nothing; dividing by its count would turn the statistics into NaN.
            return n;
        }

        int statCount = mean.Length, sampleLength = sample.ElementCount;
        int[]? map = IsTrailing(sample, kept) ? null : StatIndexMap(sample, kept);
        var sums = new double[statCount];
        for (int i = 0; i < x.Length; i++)
        {
            if (!float.IsFinite(x[i]))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} adapts to finite values, but batch {batchIndex} holds {x[i]} in {CategoryEncoder.Where(i, sampleLength)}."), "batches");
            }

            sums[Stat(i, sampleLength, statCount, map)] += x[i];
        }

        long nb = x.Length / statCount;
        var squares = new double[statCount];
        for (int i = 0; i < x.Length; i++)
        {
            int k = Stat(i, sampleLength, statCount, map);
            double d = x[i] - (sums[k] / nb);
            squares[k] += d * d;
        }

        long total = n + nb;
        for (int k = 0; k < statCount; k++)
        {
            double batchMean = sums[k] / nb, delta = batchMean - mean[k];
            m2[k] += squares[k] + (delta * delta * ((double)n * nb / total));
            mean[k] = n == 0 ? batchMean : mean[k] + (delta * nb / total);
        }

        return total;
    }

    private static int Stat(int index, int sampleLength, int statCount, int[]? map) =>
        map is null ? index % statCount : map[index % sampleLength];

    private static bool IsTrailing(TensorShape sampleShape, int[] kept) =>
        kept.AsSpan().SequenceEqual(Enumerable.Range(sampleShape.Rank - kept.Length, kept.Length).ToArray());

    // The sample axes (0 = the first after the batch) whose indices have their own statistics, sorted.
    private int[] KeptSampleAxes(TensorShape sampleShape)
    {
        int rank = sampleShape.Rank + 1;
        var kept = new SortedSet<int>();
        foreach (int axis in _axes)
        {
            int resolved = axis < 0 ? axis + rank : axis;
            if (resolved < 1 || resolved >= rank)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()}: all `axis` values must be in the range [-ndim, ndim) and not the batch axis 0. Received inputs {sampleShape.ToBatchString()} with ndim={rank}, while axis=[{string.Join(", ", _axes)}]."),
                    "inputShape");
            }

            kept.Add(resolved - 1);
        }

        return [.. kept];
    }

    private static int KeptCount(TensorShape sampleShape, int[] kept)
    {
        int count = 1;
        foreach (int axis in kept)
        {
            count *= sampleShape[axis];
        }

        return count;
    }

    private void CheckKeptAxes(TensorShape sample, TensorShape reference, int[] kept, int batchIndex)
    {
        bool same = sample.Rank == reference.Rank;
        for (int i = 0; same && i < kept.Length; i++)
        {
            same = sample[kept[i]] == reference[kept[i]];
        }

        if (!same)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} keeps axes [{string.Join(", ", _axes)}] of input {reference.ToBatchString()}, but batch {batchIndex} has an incompatible shape {sample.ToBatchString()}."),
                "batches");
        }
    }

    // map[offset in a sample] = the index of its statistic, row-major over the kept axes.
    private static int[] StatIndexMap(TensorShape sampleShape, int[] kept)
    {
        int rank = sampleShape.Rank;
        var map = new int[sampleShape.ElementCount];
        var index = new int[rank];
        for (int offset = 0; offset < map.Length; offset++)
        {
            int stat = 0;
            foreach (int axis in kept)
            {
                stat = (stat * sampleShape[axis]) + index[axis];
            }

            map[offset] = stat;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < sampleShape[d])
                {
                    break;
                }

                index[d] = 0;
            }
        }

        return map;
    }

    private static float[] Broadcast(float[] values, int count) => values.Length == count ? [.. values] : Enumerable.Repeat(values[0], count).ToArray();

    private static float[]? ReadValues(Config config, string key)
    {
        JsonNode? node = config.GetNode(key);
        if (node is null)
        {
            return null;
        }

        var values = new List<float>();
        Flatten(node, config, key, values);
        return [.. values];
    }

    private static void Flatten(JsonNode node, Config config, string key, List<float> values)
    {
        if (node is JsonArray array)
        {
            foreach (JsonNode? item in array)
            {
                Flatten(item ?? throw config.Error($"\"{key}\" holds null; expected numbers."), config, key, values);
            }
        }
        else if (node is JsonValue value && value.TryGetValue(out double number) && double.IsFinite(number))
        {
            values.Add((float)number);
        }
        else
        {
            throw config.Error($"\"{key}\" must be a number or a list of numbers but holds {Config.Describe(node)}.");
        }
    }
}
