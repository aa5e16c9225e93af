using FsCheck.Xunit;
using NeuralNet.Datasets;
using Xunit;

namespace NeuralNet.Tests.Datasets;

// TimeseriesDataset against a plain-loop transcription of Keras' timeseries_dataset_from_array (its checks with Python's
// truthiness, num_seqs, np.arange starts, array[start_index:end_index] gathers, batching) on random arguments.
public class TimeseriesDatasetPropertyTests
{
    [Property(MaxTest = 400, Replay = "20261205,20501")]
    public void FromArray_RandomArguments_MatchesKerasReference(byte rowsSeed, byte featureSeed, byte lengthSeed, byte strideSeed, byte rateSeed, byte batchSeed, byte startSeed, byte endSeed, byte targetSeed)
    {
        Case c = Case.From(rowsSeed, featureSeed, lengthSeed, strideSeed, rateSeed, batchSeed, startSeed, endSeed, targetSeed);
        Reference expected = Reference.Run(c);

        if (expected.Batches is null)
        {
            // Keras raises (the reference names the parameter), returns an empty dataset or fails while iterating: refused here.
            ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => c.Create(shuffle: false, seed: 0));
            if (expected.KerasParameter is string parameter)
            {
                Assert.Equal(parameter, e.ParamName);
            }

            return;
        }

        TimeseriesDataset dataset = c.Create(shuffle: false, seed: 0);
        Assert.Equal(expected.Batches.Count, dataset.BatchCount);
        Assert.Equal(expected.Batches.Sum(b => b.Windows.Count), dataset.SequenceCount);
        for (int b = 0; b < dataset.BatchCount; b++)
        {
            DataBatch batch = dataset.GetBatch(b);
            (List<float[]> windows, List<float[]>? targets) = expected.Batches[b];
            Tensor x = batch.X.Single();
            Assert.Equal(c.WindowShape(windows.Count), x.Shape);
            Assert.Equal(windows.SelectMany(w => w), x.ToArray());
            Assert.Equal(targets is not null, batch.HasTargets);
            if (targets is not null)
            {
                Tensor y = batch.Y.Single();
                Assert.Equal(c.TargetShape(targets.Count), y.Shape);
                Assert.Equal(targets.SelectMany(t => t), y.ToArray());
            }
        }
    }

    [Property(MaxTest = 200, Replay = "20261205,20503")]
    public void Shuffled_passes_are_seeded_permutations_of_the_unshuffled_windows(byte rowsSeed, byte featureSeed, byte lengthSeed, byte strideSeed, byte rateSeed, byte batchSeed, byte startSeed, byte endSeed, byte targetSeed, long seed, byte passSeed)
    {
        Case c = Case.From(rowsSeed, featureSeed, lengthSeed, strideSeed, rateSeed, batchSeed, startSeed, endSeed, targetSeed);
        if (Reference.Run(c).Batches is null)
        {
            return;
        }

        TimeseriesDataset inOrder = c.Create(shuffle: false, seed: 0);
        TimeseriesDataset shuffled = c.Create(shuffle: true, seed: seed);
        TimeseriesDataset again = c.Create(shuffle: true, seed: seed);
        int pass = passSeed % 4;

        List<(float[] Window, float[]? Target)> expected = Samples(inOrder, 0);
        List<(float[] Window, float[]? Target)> actual = Samples(shuffled, pass);

        // The same windows, each with its own target, in another order; the same seed and pass give the same order, and
        // the batch sizes are those of the unshuffled dataset.
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(Sorted(expected), Sorted(actual));
        Assert.Equal(Flatten(actual), Flatten(Samples(again, pass)));
        for (int b = 0; b < inOrder.BatchCount; b++)
        {
            Assert.Equal(inOrder.GetBatch(b).X.Single().Shape, shuffled.GetBatch(b, pass).X.Single().Shape);
        }
    }

    [Property(MaxTest = 200, Replay = "20261206,30507")]
    public void GetWindow_RandomArguments_IsKerasUnbatchedElementAndTheBatchesRow(byte rowsSeed, byte featureSeed, byte lengthSeed, byte strideSeed, byte rateSeed, byte batchSeed, byte startSeed, byte endSeed, byte targetSeed, long seed, byte passSeed)
    {
        // Keras' batch_size=None yields the windows the batched dataset groups, one by one and without a batch axis.
        Case c = Case.From(rowsSeed, featureSeed, lengthSeed, strideSeed, rateSeed, batchSeed, startSeed, endSeed, targetSeed);
        Reference expected = Reference.Run(c);
        if (expected.Batches is null)
        {
            return;
        }

        TimeseriesDataset inOrder = c.Create(shuffle: false, seed: 0);
        var windows = expected.Batches.SelectMany(b => b.Windows).ToList();
        List<float[]>? targets = expected.Batches[0].Targets is null ? null : [.. expected.Batches.SelectMany(b => b.Targets!)];
        Assert.Equal(windows.Count, inOrder.SequenceCount);
        for (int i = 0; i < windows.Count; i++)
        {
            (Tensor window, Tensor? target) = inOrder.GetWindow(i);
            Assert.Equal(c.WindowShape(1).DropFirst(), window.Shape);
            Assert.Equal(windows[i], window.ToArray());
            Assert.Equal(targets is not null, target is not null);
            if (targets is not null)
            {
                Assert.Equal(c.TargetShape(1).DropFirst(), target!.Shape);
                Assert.Equal(targets[i], target.ToArray());
            }
        }

        // Shuffled: window i of pass p is row i % BatchSize of that pass's batch i / BatchSize.
        TimeseriesDataset shuffled = c.Create(shuffle: true, seed: seed);
        int pass = passSeed % 4;
        List<(float[] Window, float[]? Target)> samples = Samples(shuffled, pass);
        for (int i = 0; i < samples.Count; i++)
        {
            (Tensor window, Tensor? target) = shuffled.GetWindow(i, pass);
            Assert.Equal(samples[i].Window, window.ToArray());
            Assert.Equal(samples[i].Target, target?.ToArray());
        }
    }

    [Fact]
    public void Shuffle_visits_each_pass_in_a_new_order_that_only_the_seed_and_the_pass_decide()
    {
        TimeseriesDataset a = TimeseriesDataset.FromArray(TimeseriesDatasetKerasTests.Arange(200), null, 5, batchSize: 7, shuffle: true, seed: 42);
        TimeseriesDataset b = TimeseriesDataset.FromArray(TimeseriesDatasetKerasTests.Arange(200), null, 5, batchSize: 7, shuffle: true, seed: 42);
        TimeseriesDataset other = TimeseriesDataset.FromArray(TimeseriesDatasetKerasTests.Arange(200), null, 5, batchSize: 7, shuffle: true, seed: 43);

        float[][] pass0 = FirstValues(a, 0), pass1 = FirstValues(a, 1);
        Assert.NotEqual(pass0, pass1);
        Assert.NotEqual(pass0, FirstValues(other, 0));

        // Read in another order (pass 1 first, batches backwards) on another dataset with the same seed: the same orders.
        Assert.Equal(pass1, FirstValues(b, 1));
        Assert.Equal(pass0, FirstValues(b, 0));
        Assert.Equal(pass1, FirstValues(a, 1));
        Assert.Equal(42, a.Seed);
    }

    [Fact]
    public void Without_a_seed_GetBatch_uses_seed_0_and_nothing_is_drawn()
    {
        // No System.Random: an unseeded dataset reads the same orders every time (seed 0 here; Fit's follows the model's seed).
        TimeseriesDataset unseeded = TimeseriesDataset.FromArray(TimeseriesDatasetKerasTests.Arange(100), null, 5, shuffle: true);
        TimeseriesDataset zero = TimeseriesDataset.FromArray(TimeseriesDatasetKerasTests.Arange(100), null, 5, shuffle: true, seed: 0);

        Assert.Null(unseeded.Seed);
        Assert.Equal(zero.GetBatch(0, 1).X.Single().ToArray(), unseeded.GetBatch(0, 1).X.Single().ToArray());
    }

    private static List<(float[] Window, float[]? Target)> Samples(TimeseriesDataset dataset, int pass)
    {
        var samples = new List<(float[], float[]?)>();
        for (int b = 0; b < dataset.BatchCount; b++)
        {
            DataBatch batch = dataset.GetBatch(b, pass);
            Tensor x = batch.X.Single();
            Tensor? y = batch.HasTargets ? batch.Y.Single() : null;
            for (int j = 0; j < x.Shape[0]; j++)
            {
                samples.Add((TimeseriesDatasetKerasTests.Row(x, j), y is null ? null : TimeseriesDatasetKerasTests.Row(y, j)));
            }
        }

        return samples;
    }

    private static List<string> Sorted(List<(float[] Window, float[]? Target)> samples) =>
        [.. samples.Select(s => string.Join(",", s.Window) + "|" + (s.Target is null ? "-" : string.Join(",", s.Target))).Order(StringComparer.Ordinal)];

    private static float[] Flatten(List<(float[] Window, float[]? Target)> samples) =>
        [.. samples.SelectMany(s => s.Window.Concat(s.Target ?? []))];

    private static float[][] FirstValues(TimeseriesDataset dataset, int pass)
    {
        var values = new float[dataset.BatchCount][];
        for (int b = dataset.BatchCount - 1; b >= 0; b--)
        {
            Tensor x = dataset.GetBatch(b, pass).X.Single();
            values[b] = [.. Enumerable.Range(0, x.Shape[0]).Select(j => TimeseriesDatasetKerasTests.Row(x, j)[0])];
        }

        return values;
    }

    // One random set of arguments. Data values encode (row, feature) and target values (row, column), so a wrong row
    // or column shows; most draws are valid, some break one of Keras' checks.
    internal sealed record Case(int Rows, int Features, int SequenceLength, int Stride, int Rate, int BatchSize, int? Start, int? End, int? TargetRows, int TargetColumns)
    {
        public static Case From(byte rowsSeed, byte featureSeed, byte lengthSeed, byte strideSeed, byte rateSeed, byte batchSeed, byte startSeed, byte endSeed, byte targetSeed)
        {
            int rows = rowsSeed % 41;
            int length = lengthSeed % 16 == 0 ? -(lengthSeed % 3) : 1 + (lengthSeed % 9);
            int stride = strideSeed % 16 == 0 ? -(strideSeed % 2) : 1 + (strideSeed % 5);
            int rate = rateSeed % 16 == 0 ? -(rateSeed % 2) : 1 + (rateSeed % 3);
            int batch = batchSeed % 32 == 0 ? 0 : 1 + (batchSeed % 9);
            int? start = (startSeed % 3) switch { 0 => null, 1 => startSeed % 2 == 0 ? 0 : (startSeed / 3 % 8), _ => (startSeed / 3 % (rows + 4)) - 2 };
            int? end = (endSeed % 3) switch { 0 => null, 1 => rows - 1 - (endSeed / 3 % 6), _ => (endSeed / 3 % (rows + 4)) - 2 };
            int? targetRows = (targetSeed % 4) switch { 0 => null, 1 => rows, 2 => Math.Max(rows + (targetSeed / 4 % 9) - 6, 0), _ => rows + (targetSeed / 4 % 3) };
            return new Case(rows, featureSeed % 4, length, stride, rate, batch, start, end, targetRows, featureSeed / 4 % 3);
        }

        // Features 0: data (rows); otherwise (rows, features). TargetColumns 0: targets (rows); otherwise (rows, columns).
        public int RowLength => Math.Max(Features, 1);

        public int TargetLength => Math.Max(TargetColumns, 1);

        public float[] Data() => [.. Enumerable.Range(0, Rows * RowLength).Select(i => ((i / RowLength) * 8f) + (i % RowLength))];

        public float[]? Targets() => TargetRows is int n ? [.. Enumerable.Range(0, n * TargetLength).Select(i => -1000f - ((i / TargetLength) * 4f) - (i % TargetLength))] : null;

        public TensorShape WindowShape(int count) => Features == 0 ? new TensorShape(count, SequenceLength) : new TensorShape(count, SequenceLength, Features);

        public TensorShape TargetShape(int count) => TargetColumns == 0 ? new TensorShape(count) : new TensorShape(count, TargetColumns);

        public TimeseriesDataset Create(bool shuffle, long seed)
        {
            Tensor data = Features == 0 ? Tensor.FromArray(Data(), Rows) : Tensor.FromArray(Data(), Rows, Features);
            float[]? targetValues = Targets();
            Tensor? targets = targetValues is null ? null
                : TargetColumns == 0 ? Tensor.FromArray(targetValues, TargetRows!.Value) : Tensor.FromArray(targetValues, TargetRows!.Value, TargetColumns);
            return TimeseriesDataset.FromArray(data, targets, SequenceLength, Stride, Rate, BatchSize, shuffle, seed, Start, End);
        }
    }

    // Keras' algorithm in plain loops. Batches is null where Keras raises (KerasParameter names what its message names),
    // gives an empty dataset, or fails while iterating (a targets gather out of range), or for a batch size below 1.
    internal sealed record Reference(List<(List<float[]> Windows, List<float[]>? Targets)>? Batches, string? KerasParameter)
    {
        public static Reference Run(Case c)
        {
            int n = c.Rows;

            // Keras' checks, `if start_index:` and `if end_index:` skipping a 0.
            if (c.Start is int s && s != 0 && (s < 0 || s >= n))
            {
                return new Reference(null, "startIndex");
            }

            // Keras lets endIndex=0 through to an empty dataset; TimeseriesDataset refuses it here, with its other end checks.
            if (c.End is int e && (e == 0 || (c.Start is int s2 && s2 != 0 && e <= s2) || e >= n || e <= 0))
            {
                return new Reference(null, "endIndex");
            }

            if (c.Rate <= 0 || c.Rate >= n)
            {
                return new Reference(null, "samplingRate");
            }

            if (c.Stride <= 0 || c.Stride >= n)
            {
                return new Reference(null, "sequenceStride");
            }

            if (c.SequenceLength <= 0 || c.BatchSize <= 0)
            {
                return new Reference(null, null);
            }

            int start = c.Start ?? 0;
            int end = c.End ?? n;
            int numSeqs = end - start - ((c.SequenceLength - 1) * c.Rate);
            if (c.TargetRows is int targetRows)
            {
                numSeqs = Math.Min(numSeqs, targetRows);
            }

            var positions = new List<int>();
            for (int p = 0; p < numSeqs; p += c.Stride)
            {
                positions.Add(p);
            }

            if (positions.Count == 0)
            {
                return new Reference(null, null);
            }

            float[] data = c.Data();
            float[]? targets = c.Targets();
            var samples = new List<(float[] Window, float[]? Target)>();
            foreach (int p in positions)
            {
                // data[start:end][p + k * rate]
                var window = new float[c.SequenceLength * c.RowLength];
                for (int k = 0; k < c.SequenceLength; k++)
                {
                    int row = start + p + (k * c.Rate);
                    for (int f = 0; f < c.RowLength; f++)
                    {
                        window[(k * c.RowLength) + f] = data[(row * c.RowLength) + f];
                    }
                }

                float[]? target = null;
                if (targets is not null)
                {
                    // targets[start:end][p]: out of range fails tf.gather while iterating.
                    int sliceLength = Math.Min(end, c.TargetRows!.Value) - start;
                    if (p >= sliceLength)
                    {
                        return new Reference(null, null);
                    }

                    target = new float[c.TargetLength];
                    for (int t = 0; t < c.TargetLength; t++)
                    {
                        target[t] = targets[((start + p) * c.TargetLength) + t];
                    }
                }

                samples.Add((window, target));
            }

            var batches = new List<(List<float[]>, List<float[]>?)>();
            for (int first = 0; first < samples.Count; first += c.BatchSize)
            {
                List<(float[] Window, float[]? Target)> part = samples.Skip(first).Take(c.BatchSize).ToList();
                List<float[]> windows = part.Select(x => x.Window).ToList();
                List<float[]>? batchTargets = targets is null ? null : part.Select(x => x.Target!).ToList();
                batches.Add((windows, batchTargets));
            }

            return new Reference(batches, null);
        }
    }
}
