using System.Globalization;

namespace NeuralNet.Datasets;

/// <summary>Turns lists of token ids of different lengths into one tensor for <c>Embedding</c> (Keras' <c>keras.utils.pad_sequences</c>).</summary>
public static class Sequences
{
    /// <summary>
    /// Pads or truncates every sequence to <paramref name="maxLength"/> and stacks them into a tensor (sequences, maxLength)
    /// of ids held in floats, exactly as Keras' <c>pad_sequences</c>: by default padding and truncation both act at the
    /// start, so the last ids of a long sequence are kept and a short one ends with its own ids.
    /// </summary>
    /// <param name="sequences">The sequences of ids; each may be empty.</param>
    /// <param name="maxLength">The length of every row; null for the longest sequence's length.</param>
    /// <param name="padding">Where padding goes.</param>
    /// <param name="truncating">Which end a longer sequence loses.</param>
    /// <param name="value">The padding value (Keras' default 0, the id that <c>Embedding(maskZero: true)</c> masks).</param>
    /// <returns>A new tensor (sequences.Count, maxLength).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sequences"/> or one of its sequences is null (the message names its index).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is below 1, or a side is not defined.</exception>
    /// <exception cref="ArgumentException">There are no sequences, or all are empty and no <paramref name="maxLength"/> was given.</exception>
    public static Tensor PadSequences(IReadOnlyList<IReadOnlyList<int>> sequences, int? maxLength = null, SequenceSide padding = SequenceSide.Pre,
        SequenceSide truncating = SequenceSide.Pre, float value = 0f)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (!Enum.IsDefined(padding))
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must be Pre or Post.");
        }

        if (!Enum.IsDefined(truncating))
        {
            throw new ArgumentOutOfRangeException(nameof(truncating), truncating, "truncating must be Pre or Post.");
        }

        if (maxLength is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must be at least 1.");
        }

        if (sequences.Count == 0)
        {
            throw new ArgumentException("There are no sequences to pad.", nameof(sequences));
        }

        int longest = 0;
        for (int i = 0; i < sequences.Count; i++)
        {
            IReadOnlyList<int> sequence = sequences[i] ?? throw new ArgumentNullException(nameof(sequences), string.Create(CultureInfo.InvariantCulture, $"Sequence {i} is null."));
            longest = Math.Max(longest, sequence.Count);
        }

        int length = maxLength ?? (longest > 0 ? longest : throw new ArgumentException("Every sequence is empty; give maxLength for rows of padding only.", nameof(sequences)));
        var result = new Tensor(sequences.Count, length);
        Span<float> rows = result.AsSpan();
        rows.Fill(value);
        for (int i = 0; i < sequences.Count; i++)
        {
            IReadOnlyList<int> sequence = sequences[i];
            int kept = Math.Min(sequence.Count, length);
            int from = truncating == SequenceSide.Pre ? sequence.Count - kept : 0;
            int to = (i * length) + (padding == SequenceSide.Pre ? length - kept : 0);
            for (int k = 0; k < kept; k++)
            {
                rows[to + k] = sequence[from + k];
            }
        }

        return result;
    }
}
