namespace NeuralNet.Datasets;

/// <summary>
/// Batches of sliding windows over a time series, made by <see cref="FromArray(Tensor, Tensor?, int, int, int, int, bool, long?, int?, int?)"/>
/// as Keras' <c>keras.utils.timeseries_dataset_from_array</c> makes them; pass it to <c>Fit</c>, <c>Evaluate</c> or
/// <c>Predict</c>, or read its batches with <see cref="GetBatch"/>.
/// </summary>
/// <remarks>
/// <para>Window <c>i</c> (in order) starts at row <c>startIndex + i * sequenceStride</c> and takes <c>sequenceLength</c> rows,
/// one every <c>samplingRate</c> rows; its target is the targets row where it starts, <c>targets[startIndex + i * sequenceStride]</c>.
/// Windows are made while they end before <c>endIndex</c> (and, with targets, while <c>i * sequenceStride</c> is below the
/// number of target rows, as Keras caps them). Batches hold <c>batchSize</c> windows, the last one the rest.</para>
/// <para>The dataset keeps its own order, as Keras' <c>fit</c> does with a dataset: <c>Fit</c>'s <c>shuffle</c> does not apply.
/// With <c>shuffle</c>, every pass over the windows (every epoch of <c>Fit</c>) visits them in a new permutation that depends
/// only on <see cref="Seed"/> and the pass, so a run is reproducible and a resumed run sees the windows the uninterrupted one
/// would; the windows themselves, and the set of them, are those of the unshuffled dataset. Without a seed, <c>Fit</c>'s
/// passes take their order from the model's seed and each <c>Fit</c> call gets new orders (Keras reshuffles at every
/// iteration); with one, every <c>Fit</c> call starts again from pass 0's order. A shuffled dataset given as validation data
/// is read in pass e's order at epoch e, as Keras reshuffles it: with <c>validationSteps</c>, another subset each epoch.</para>
/// <para>The data and targets are read when a batch is made, not copied; each batch is new tensors, which the next batch
/// does not overwrite (a data source's batches may be alive together on the prefetch queue).</para>
/// </remarks>
/// <example>
/// <code>
/// // Predict the next value from the 10 before it: windows of data[0..], targets data[10..].
/// Tensor series = ...;                                   // (steps, features)
/// var windows = TimeseriesDataset.FromArray(series.Slice(0, steps - 10), series.Slice(10, steps - 10), sequenceLength: 10, batchSize: 32);
/// model.Fit(windows, epochs: 5);
/// </code>
/// </example>
public sealed partial class TimeseriesDataset : DataSource
{
    private readonly Tensor _data;
    private readonly Tensor? _targets;
    private readonly int _sequenceLength;
    private readonly int _samplingRate;
    private readonly int _rowLength;
    private readonly int _targetRowLength;
    private readonly TensorShape _windowShape;
    private readonly TensorShape _targetShape;
    private readonly int[] _inOrder;

    // The window starts of the last shuffled pass asked for, kept so that reading a pass batch by batch draws its
    // permutation once; replaced whole (never changed), so readers on other threads see a consistent pair.
    private PassStarts? _lastPass;

    private TimeseriesDataset(Tensor data, Tensor? targets, Layout layout, int sequenceLength, int sequenceStride, int samplingRate, int batchSize, bool shuffle, long? seed)
    {
        _data = data;
        _targets = targets;
        _sequenceLength = sequenceLength;
        _samplingRate = samplingRate;
        SequenceCount = layout.Count;
        BatchSize = batchSize;
        BatchCount = (int)(((long)layout.Count + batchSize - 1) / batchSize);
        Shuffle = shuffle;
        Seed = seed;

        TensorShape rowShape = data.Shape.DropFirst();
        _rowLength = rowShape.ElementCount;
        _windowShape = rowShape.Prepend(sequenceLength);
        if (targets is not null)
        {
            _targetShape = targets.Shape.DropFirst();
            _targetRowLength = _targetShape.ElementCount;
        }

        _inOrder = new int[layout.Count];
        for (int i = 0; i < _inOrder.Length; i++)
        {
            _inOrder[i] = layout.Start + (i * sequenceStride);
        }
    }

    /// <summary>
    /// Keras' <c>timeseries_dataset_from_array</c>: batches of windows of <paramref name="sequenceLength"/> rows over
    /// <paramref name="data"/>, with Keras' parameters, defaults, windows, targets, order and argument checks.
    /// </summary>
    /// <param name="data">The series, time first: (rows) for scalar steps, giving windows (batch, sequenceLength), or (rows,
    /// features...), giving (batch, sequenceLength, features...). Not copied.</param>
    /// <param name="targets">The targets by row, (rows) or (rows, ...): window <c>i</c>'s target is <c>targets[startIndex + i *
    /// sequenceStride]</c>, the row where it starts (give <c>data[k:]</c> to predict the row <c>k</c> steps after a window's start);
    /// null for inputs only (Keras' <c>targets=None</c>; such batches can be predicted, not trained on). Not copied.</param>
    /// <param name="sequenceLength">The number of rows in a window.</param>
    /// <param name="sequenceStride">The rows between the starts of successive windows.</param>
    /// <param name="samplingRate">The rows between successive rows of a window: rows <c>s, s + r, ..., s + (sequenceLength - 1) r</c>.</param>
    /// <param name="batchSize">Windows per batch (the last batch may hold fewer).</param>
    /// <param name="shuffle">Whether each pass visits the windows in a new seeded permutation instead of in time order.</param>
    /// <param name="seed">The seed of the shuffles; null to take <c>Fit</c>'s, which follows the model's seed (Keras draws one at random).</param>
    /// <param name="startIndex">The first row windows may use; null for 0. Rows before it are left out, for validation or test data.</param>
    /// <param name="endIndex">The row after the last one windows may use (exclusive), below the number of rows; null for the
    /// end of the data. Rows from it on are left out.</param>
    /// <returns>The dataset; nothing is read until a batch is made.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">As Keras: <paramref name="startIndex"/> is negative or not below the number of
    /// rows; <paramref name="endIndex"/> is not above <paramref name="startIndex"/> or 0, or not below the number of rows;
    /// <paramref name="samplingRate"/> or <paramref name="sequenceStride"/> is not positive or not below the number of rows.
    /// Beyond Keras: <paramref name="sequenceLength"/> or <paramref name="batchSize"/> is not positive, or no window fits between
    /// <paramref name="startIndex"/> and <paramref name="endIndex"/>. Each message names the parameter and the value received.</exception>
    /// <exception cref="ArgumentException"><paramref name="data"/> or <paramref name="targets"/> is a scalar, <paramref name="targets"/>
    /// has no rows, or too few rows for the last window's target (Keras would fail while iterating).</exception>
    public static TimeseriesDataset FromArray(
        Tensor data,
        Tensor? targets,
        int sequenceLength,
        int sequenceStride = 1,
        int samplingRate = 1,
        int batchSize = 128,
        bool shuffle = false,
        long? seed = null,
        int? startIndex = null,
        int? endIndex = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        Layout layout = Check(data, targets, sequenceLength, sequenceStride, samplingRate, batchSize, startIndex, endIndex);

        // Keras draws np.random.randint(1e6) when no seed is given; the library draws nothing from the clock or the OS, so
        // an unseeded dataset takes Fit's shuffle seed, which follows the model's.
        return new TimeseriesDataset(data, targets, layout, sequenceLength, sequenceStride, samplingRate, batchSize, shuffle, seed);
    }

    /// <summary>
    /// Keras' <c>timeseries_dataset_from_array</c> over a series of scalar steps: windows (batch, <paramref name="sequenceLength"/>)
    /// and targets (batch). The arrays are wrapped, not copied. For rows of several features, pass a tensor (rows, features),
    /// for example <c>Tensor.FromArray(float[][])</c>.
    /// </summary>
    /// <inheritdoc cref="FromArray(Tensor, Tensor?, int, int, int, int, bool, long?, int?, int?)"/>
    public static TimeseriesDataset FromArray(
        float[] data,
        float[]? targets,
        int sequenceLength,
        int sequenceStride = 1,
        int samplingRate = 1,
        int batchSize = 128,
        bool shuffle = false,
        long? seed = null,
        int? startIndex = null,
        int? endIndex = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return FromArray(Tensor.FromArray(data, data.Length), targets is null ? null : Tensor.FromArray(targets, targets.Length),
            sequenceLength, sequenceStride, samplingRate, batchSize, shuffle, seed, startIndex, endIndex);
    }

    /// <summary>The number of windows (samples) in one pass.</summary>
    public int SequenceCount { get; }

    /// <summary>Windows per batch; the last batch holds the rest.</summary>
    public int BatchSize { get; }

    /// <summary>The number of batches in one pass: <see cref="SequenceCount"/> / <see cref="BatchSize"/>, rounded up.</summary>
    public int BatchCount { get; }

    /// <summary>Whether each pass visits the windows in a new seeded permutation.</summary>
    public bool Shuffle { get; }

    /// <summary>The seed of the shuffles, or null when none was given: <c>Fit</c>'s shuffle seed then orders its passes, and <see cref="GetBatch"/>, <c>Evaluate</c> and <c>Predict</c> use 0.</summary>
    public long? Seed { get; }

    /// <summary>Whether the batches carry targets.</summary>
    public bool HasTargets => _targets is not null;

    /// <summary>
    /// Batch <paramref name="index"/> of pass <paramref name="pass"/>, as new tensors: the windows (n, sequenceLength,
    /// features...) (or (n, sequenceLength) for a series of scalars) and, with targets, their targets (n, ...).
    /// </summary>
    /// <param name="index">The batch, in [0, <see cref="BatchCount"/>).</param>
    /// <param name="pass">Which pass over the windows, from 0: with <see cref="Shuffle"/>, each pass has its own order (<c>Fit</c>'s
    /// epoch k reads pass k; with <c>stepsPerEpoch</c>, the passes run on across epochs); without, every pass is the same.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, <see cref="BatchCount"/>) or
    /// <paramref name="pass"/> is negative.</exception>
    public DataBatch GetBatch(int index, int pass = 0)
    {
        if ((uint)index >= (uint)BatchCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, Invariant($"index must be in [0, BatchCount) = [0, {BatchCount}). Received: index={index}."));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(pass);
        return MakeBatch(Starts(pass, Seed ?? 0), index);
    }

    /// <summary>
    /// Window <paramref name="index"/> of pass <paramref name="pass"/> alone, without a batch axis, as new tensors: the
    /// window (sequenceLength, features...) (or (sequenceLength) for a series of scalars) and its target (...) or null.
    /// These are the elements of Keras' <c>timeseries_dataset_from_array(batch_size=None)</c>, which yields single windows
    /// for a pipeline to batch or transform; a data source given to <c>Fit</c> yields batches, so the unbatched form is
    /// this per-window read instead (window <c>i</c> of a pass is row <c>i % BatchSize</c> of its batch <c>i / BatchSize</c>).
    /// </summary>
    /// <param name="index">The window's position in the pass, in [0, <see cref="SequenceCount"/>).</param>
    /// <param name="pass">Which pass over the windows, as for <see cref="GetBatch"/>: with <see cref="Shuffle"/>, each pass has its own order.</param>
    /// <returns>The window and its target (null when the dataset has no targets).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, <see cref="SequenceCount"/>) or
    /// <paramref name="pass"/> is negative.</exception>
    public (Tensor Window, Tensor? Target) GetWindow(int index, int pass = 0)
    {
        if ((uint)index >= (uint)SequenceCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, Invariant($"index must be in [0, SequenceCount) = [0, {SequenceCount}). Received: index={index}."));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(pass);
        ReadOnlySpan<int> start = Starts(pass, Seed ?? 0).AsSpan(index, 1);
        var window = new Tensor(_windowShape);
        TimeseriesWindows.Gather(_data.AsReadOnlySpan(), _rowLength, start, _sequenceLength, _samplingRate, window.AsSpan());
        if (_targets is null)
        {
            return (window, null);
        }

        var target = new Tensor(_targetShape);
        TimeseriesWindows.GatherRows(_targets.AsReadOnlySpan(), _targetRowLength, start, target.AsSpan());
        return (window, target);
    }

    internal override int? BatchesPerPass => BatchCount;

    // Fit's shuffle and seed do not apply: the order is the dataset's own, as Keras' fit ignores `shuffle` for a dataset.
    // Fit's seed orders an unseeded dataset's passes (0 for validation, Evaluate and Predict).
    internal override IEnumerator<DataBatch> OpenPass(int epoch, int? steps, bool shuffle, long seed, bool continuing, CancellationToken cancellationToken) =>
        continuing && steps is int perEpoch
            ? Continued((long)epoch * perEpoch, perEpoch, Seed ?? seed)
            : Pass(epoch, Math.Min(steps ?? BatchCount, BatchCount), Seed ?? seed);

    private IEnumerator<DataBatch> Pass(long pass, int steps, long seed)
    {
        int[] starts = Starts(pass, seed);
        for (int b = 0; b < steps; b++)
        {
            yield return MakeBatch(starts, b);
        }
    }

    // Keras' steps_per_epoch: each epoch goes on where the previous one stopped, and a new pass (a new order when
    // shuffling) starts when one is used up; where epoch e starts follows from e alone, as for a BatchDataset.
    private IEnumerator<DataBatch> Continued(long first, int steps, long seed)
    {
        long pass = first / BatchCount;
        int[] starts = Starts(pass, seed);
        for (long g = first; g < first + steps; g++)
        {
            if (g / BatchCount != pass)
            {
                pass = g / BatchCount;
                starts = Starts(pass, seed);
            }

            yield return MakeBatch(starts, (int)(g % BatchCount));
        }
    }

    // The first row of every window, in the order of pass `pass`.
    private int[] Starts(long pass, long seed)
    {
        if (!Shuffle)
        {
            return _inOrder;
        }

        PassStarts? last = Volatile.Read(ref _lastPass);
        if (last is not null && last.Pass == pass && last.Seed == seed)
        {
            return last.Starts;
        }

        int[] starts = (int[])_inOrder.Clone();
        new SeededRandom(SeededRandom.Derive(seed, pass)).Shuffle(starts);
        Volatile.Write(ref _lastPass, new PassStarts(pass, seed, starts));
        return starts;
    }

    private DataBatch MakeBatch(int[] starts, int index)
    {
        int first = index * BatchSize;
        int count = Math.Min(BatchSize, SequenceCount - first);
        ReadOnlySpan<int> batchStarts = starts.AsSpan(first, count);
        var windows = new Tensor(_windowShape.Prepend(count));
        TimeseriesWindows.Gather(_data.AsReadOnlySpan(), _rowLength, batchStarts, _sequenceLength, _samplingRate, windows.AsSpan());
        if (_targets is null)
        {
            return new DataBatch(windows);
        }

        var targets = new Tensor(_targetShape.Prepend(count));
        TimeseriesWindows.GatherRows(_targets.AsReadOnlySpan(), _targetRowLength, batchStarts, targets.AsSpan());
        return new DataBatch(windows, targets);
    }

    private sealed record PassStarts(long Pass, long Seed, int[] Starts);
}
