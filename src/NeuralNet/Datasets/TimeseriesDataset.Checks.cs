using System.Globalization;

namespace NeuralNet.Datasets;

// The argument checks of FromArray: Keras' own, in Keras' order and words (with the .NET parameter names), then the ones
// Keras leaves to a failure while iterating or to an empty dataset. All run before anything is created.
public sealed partial class TimeseriesDataset
{
    // Where the windows lie: the first row, and the number of windows.
    private readonly record struct Layout(int Start, int Count);

    private static Layout Check(Tensor data, Tensor? targets, int sequenceLength, int sequenceStride, int samplingRate, int batchSize, int? startIndex, int? endIndex)
    {
        if (data.Rank == 0)
        {
            throw new ArgumentException("data must have the time axis first: (rows) or (rows, features...). Received: a scalar, shape ().", nameof(data));
        }

        if (targets is { Rank: 0 })
        {
            throw new ArgumentException("targets must have the time axis first: (rows) or (rows, ...), or be null for inputs only. Received: a scalar, shape ().", nameof(targets));
        }

        int rows = data.Shape[0];

        // Keras tests `if start_index:` / `if end_index:`, so 0 skips its checks: a start of 0 is valid anyway; an end of 0
        // would give Keras an empty dataset, and is refused here by the check Keras meant for it.
        if (startIndex is int start && start != 0)
        {
            if (start < 0)
            {
                throw OutOfRange(nameof(startIndex), start, $"startIndex must be 0 or greater. Received: startIndex={start}.");
            }

            if (start >= rows)
            {
                throw OutOfRange(nameof(startIndex), start, $"startIndex must be lower than the length of the data. Received: startIndex={start}, for data of length {rows}.");
            }
        }

        if (endIndex is int end)
        {
            if (startIndex is int s && s != 0 && end <= s)
            {
                throw OutOfRange(nameof(endIndex), end, $"endIndex must be higher than startIndex. Received: startIndex={s}, and endIndex={end}.");
            }

            // Keras' rule: endIndex is exclusive but must still be below the length; leave it null to use the last row.
            if (end >= rows)
            {
                throw OutOfRange(nameof(endIndex), end, $"endIndex must be lower than the length of the data. Received: endIndex={end}, for data of length {rows}.");
            }

            if (end <= 0)
            {
                throw OutOfRange(nameof(endIndex), end, $"endIndex must be higher than 0. Received: endIndex={end}.");
            }
        }

        CheckStep(nameof(samplingRate), samplingRate, rows);
        CheckStep(nameof(sequenceStride), sequenceStride, rows);

        // Keras checks neither: a non-positive length gives empty windows, a non-positive batch size fails in tf.data.
        if (sequenceLength <= 0)
        {
            throw OutOfRange(nameof(sequenceLength), sequenceLength, $"sequenceLength must be higher than 0. Received: sequenceLength={sequenceLength}.");
        }

        if (batchSize <= 0)
        {
            throw OutOfRange(nameof(batchSize), batchSize, $"batchSize must be higher than 0. Received: batchSize={batchSize}.");
        }

        int first = startIndex ?? 0;
        int stop = endIndex ?? rows;

        // Keras' count of window starts: num_seqs = end - start - (sequence_length - 1) * sampling_rate, capped by the
        // number of targets; starts are 0, stride, 2 * stride, ... below it (np.arange), relative to startIndex.
        long reach = (long)(sequenceLength - 1) * samplingRate;
        long startsBelow = stop - first - reach;
        if (startsBelow <= 0)
        {
            // Keras would return an empty dataset, which Fit cannot train on.
            throw OutOfRange(nameof(sequenceLength), sequenceLength,
                $"sequenceLength={sequenceLength} rows taken every samplingRate={samplingRate} rows span {reach + 1} rows, more than the {stop - first} rows from startIndex={first} to endIndex={stop} (exclusive): no window fits. Received: sequenceLength={sequenceLength}.");
        }

        if (targets is not null)
        {
            int targetRows = targets.Shape[0];
            if (targetRows == 0)
            {
                throw new ArgumentException("targets has no rows, so there are no windows (Keras' dataset would be empty); pass null for inputs only.", nameof(targets));
            }

            startsBelow = Math.Min(startsBelow, targetRows);
        }

        int count = (int)((startsBelow + sequenceStride - 1) / sequenceStride);
        long lastTargetRow = first + ((long)(count - 1) * sequenceStride);
        if (targets is not null && lastTargetRow >= targets.Shape[0])
        {
            // Keras caps the windows by len(targets) but reads targets[start_index + position]: with a startIndex and
            // fewer targets than rows, its gather fails while iterating. Refused here, up front.
            throw new ArgumentException(Invariant(
                $"targets has {targets.Shape[0]} rows but window {count - 1} starts at row {lastTargetRow} (startIndex={first} + {count - 1} * sequenceStride={sequenceStride}) and its target is targets[{lastTargetRow}]: the target of a window is the targets row where the window starts. Give at least {lastTargetRow + 1} target rows, or a lower startIndex."), nameof(targets));
        }

        long batchValues = (long)Math.Min(batchSize, count) * sequenceLength * (data.Length / Math.Max(rows, 1));
        if (batchValues > Array.MaxLength)
        {
            throw OutOfRange(nameof(batchSize), batchSize, $"A batch of {Math.Min(batchSize, count)} windows of {sequenceLength} rows of shape {data.Shape.DropFirst()} holds {batchValues} values, more than a tensor can hold ({Array.MaxLength}). Received: batchSize={batchSize}.");
        }

        return new Layout(first, count);
    }

    // Keras' checks of sampling_rate and sequence_stride: positive, and below the length of the data.
    private static void CheckStep(string name, int value, int rows)
    {
        if (value <= 0)
        {
            throw OutOfRange(name, value, $"{name} must be higher than 0. Received: {name}={value}.");
        }

        if (value >= rows)
        {
            throw OutOfRange(name, value, $"{name} must be lower than the length of the data. Received: {name}={value}, for data of length {rows}.");
        }
    }

    private static ArgumentOutOfRangeException OutOfRange(string name, int value, FormattableString message) =>
        new(name, value, Invariant(message));

    private static string Invariant(FormattableString message) => message.ToString(CultureInfo.InvariantCulture);
}
