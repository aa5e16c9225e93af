using System.Globalization;

namespace NeuralNet.Datasets;

/// <summary>
/// Copies windows of rows out of a time series into a batch: the gathers behind <see cref="TimeseriesDataset"/>.
/// </summary>
internal static class TimeseriesWindows
{
    // rows is (rowCount, rowLength) row-major; starts (n); destination (n, sequenceLength, rowLength):
    // destination[j, k, :] = rows[starts[j] + k * samplingRate, :].
    public static void Gather(ReadOnlySpan<float> rows, int rowLength, ReadOnlySpan<int> starts, int sequenceLength, int samplingRate, Span<float> destination)
    {
        int window = sequenceLength * rowLength;
        if (rowLength < 1 || sequenceLength < 1 || samplingRate < 1 || rows.Length % rowLength != 0 || destination.Length != starts.Length * window)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Windows of {sequenceLength} rows of {rowLength} every {samplingRate} rows for {starts.Length} starts need a destination of {(long)starts.Length * window} values; got {destination.Length} (rows: {rows.Length} values)."), nameof(destination));
        }

        int rowCount = rows.Length / rowLength;
        long reach = (long)(sequenceLength - 1) * samplingRate;
        for (int j = 0; j < starts.Length; j++)
        {
            int first = starts[j];
            if (first < 0 || first + reach >= rowCount)
            {
                throw new ArgumentOutOfRangeException(nameof(starts), first, string.Create(CultureInfo.InvariantCulture, $"Window {j} starts at row {first} and reaches row {first + reach}, outside the {rowCount} rows."));
            }

            Span<float> target = destination.Slice(j * window, window);
            if (samplingRate == 1)
            {
                // Consecutive rows are one contiguous block.
                rows.Slice(first * rowLength, window).CopyTo(target);
                continue;
            }

            for (int k = 0; k < sequenceLength; k++)
            {
                rows.Slice((first + (k * samplingRate)) * rowLength, rowLength).CopyTo(target.Slice(k * rowLength, rowLength));
            }
        }
    }

    // rows is (rowCount, rowLength); starts (n); destination (n, rowLength): destination[j, :] = rows[starts[j], :].
    public static void GatherRows(ReadOnlySpan<float> rows, int rowLength, ReadOnlySpan<int> starts, Span<float> destination)
    {
        if (rowLength < 1 || rows.Length % rowLength != 0 || destination.Length != starts.Length * rowLength)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{starts.Length} rows of {rowLength} need a destination of {(long)starts.Length * rowLength} values; got {destination.Length} (rows: {rows.Length} values)."), nameof(destination));
        }

        int rowCount = rows.Length / rowLength;
        for (int j = 0; j < starts.Length; j++)
        {
            int row = starts[j];
            if ((uint)row >= (uint)rowCount)
            {
                throw new ArgumentOutOfRangeException(nameof(starts), row, string.Create(CultureInfo.InvariantCulture, $"Row {row} (entry {j}) is outside the {rowCount} rows."));
            }

            rows.Slice(row * rowLength, rowLength).CopyTo(destination.Slice(j * rowLength, rowLength));
        }
    }
}
