using System.Globalization;

namespace NeuralNet;

// Slicing and joining along the last axis (features, channels, gates), for layers written outside the library.
public sealed partial class Tensor
{
    /// <summary>
    /// Copies <paramref name="count"/> entries of the last axis of <paramref name="source"/>, from <paramref name="start"/>,
    /// into <paramref name="destination"/>, which has the source's shape with <paramref name="count"/> as its last axis.
    /// </summary>
    /// <exception cref="ArgumentException">The range is outside the last axis, the destination's shape does not fit, or the
    /// destination overlaps the source in memory.</exception>
    public static void SliceLastAxis(Tensor source, int start, int count, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        int width = source.Rank == 0 ? 0 : source.Shape[-1];
        if (start < 0 || count < 1 || start > width - count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"SliceLastAxis: [{start}, {start + count}) is outside the last axis of {source.Shape}."), nameof(start));
        }

        RequireSameLeading(source, destination, count, nameof(destination));
        RequireNoOverlap(source, destination);
        ReadOnlySpan<float> x = source.AsReadOnlySpan();
        Span<float> y = destination.AsSpan();
        for (int row = 0, rows = x.Length / width; row < rows; row++)
        {
            x.Slice((row * width) + start, count).CopyTo(y.Slice(row * count, count));
        }
    }

    /// <summary>
    /// Joins <paramref name="sources"/> along their last axis into <paramref name="destination"/> (Keras' <c>concatenate</c>
    /// on axis -1): all sources share their leading axes, and the destination's last axis is the sum of theirs.
    /// </summary>
    /// <exception cref="ArgumentException">No sources, the leading axes differ, or the destination's shape does not fit.</exception>
    public static void ConcatenateLastAxis(ReadOnlySpan<Tensor> sources, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (sources.IsEmpty)
        {
            throw new ArgumentException("ConcatenateLastAxis needs at least one source.", nameof(sources));
        }

        int total = 0;
        foreach (Tensor source in sources)
        {
            ArgumentNullException.ThrowIfNull(source, nameof(sources));
            RequireSameLeading(sources[0], source, source.Rank == 0 ? 0 : source.Shape[-1], nameof(sources));
            total += source.Shape[-1];
        }

        RequireSameLeading(sources[0], destination, total, nameof(destination));
        foreach (Tensor source in sources)
        {
            RequireNoOverlap(source, destination);
        }

        Span<float> y = destination.AsSpan();
        int offset = 0;
        foreach (Tensor source in sources)
        {
            int width = source.Shape[-1];
            ReadOnlySpan<float> x = source.AsReadOnlySpan();
            for (int row = 0, rows = x.Length / width; row < rows; row++)
            {
                x.Slice(row * width, width).CopyTo(y.Slice((row * total) + offset, width));
            }

            offset += width;
        }
    }

    // Rows are copied one by one, so a destination overlapping a source would overwrite rows not read yet.
    private static void RequireNoOverlap(Tensor source, Tensor destination)
    {
        if (source.AsReadOnlySpan().Overlaps(destination.AsReadOnlySpan()))
        {
            throw new ArgumentException($"The destination {destination.Shape} overlaps the source {source.Shape} in memory; write into a separate tensor.", nameof(destination));
        }
    }

    // 'other' must have the leading axes of 'reference' and last axis 'last'.
    private static void RequireSameLeading(Tensor reference, Tensor other, int last, string parameterName)
    {
        bool fits = reference.Rank >= 1 && other.Rank == reference.Rank && other.Shape[-1] == last
            && reference.Shape.Dimensions[..^1].SequenceEqual(other.Shape.Dimensions[..^1]);
        if (!fits)
        {
            int[] expected = reference.Rank == 0 ? [last] : [.. reference.Shape.Dimensions[..^1], last];
            throw new ArgumentException($"Expected a tensor of shape {new TensorShape(expected)} but got {other.Shape}.", parameterName);
        }
    }
}
