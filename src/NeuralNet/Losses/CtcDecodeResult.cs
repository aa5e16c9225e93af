namespace NeuralNet.Losses;

/// <summary>
/// The sequences found by <see cref="CtcDecoding"/>, in Keras' layout: <see cref="Decoded"/> (paths, batch, steps) of class
/// indices, each sequence left-aligned and padded with −1, and <see cref="Scores"/> (batch, paths).
/// </summary>
public sealed class CtcDecodeResult
{
    internal CtcDecodeResult(Tensor decoded, Tensor scores)
    {
        Decoded = decoded;
        Scores = scores;
    }

    /// <summary>The decoded class indices, (paths, batch, steps), padded with −1 after each sequence.</summary>
    public Tensor Decoded { get; }

    /// <summary>
    /// One score per sample and path, (batch, paths): for greedy decoding minus the sum of the best scores per step, for
    /// beam search the path's log-probability (best first).
    /// </summary>
    public Tensor Scores { get; }

    /// <summary>The number of paths per sample.</summary>
    public int Paths => Decoded.Shape[0];

    /// <summary>The decoded sequence of one sample, without the −1 padding.</summary>
    /// <param name="sample">The sample's index in the batch.</param>
    /// <param name="path">The path's index, 0 for the best.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sample"/> or <paramref name="path"/> is out of range.</exception>
    public int[] Sequence(int sample, int path = 0)
    {
        int paths = Decoded.Shape[0], batch = Decoded.Shape[1], steps = Decoded.Shape[2];
        ArgumentOutOfRangeException.ThrowIfNegative(sample);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(sample, batch);
        ArgumentOutOfRangeException.ThrowIfNegative(path);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(path, paths);
        ReadOnlySpan<float> row = Decoded.AsReadOnlySpan().Slice(((path * batch) + sample) * steps, steps);
        int length = row.IndexOf(-1f);
        length = length < 0 ? steps : length;
        int[] sequence = new int[length];
        for (int j = 0; j < length; j++)
        {
            sequence[j] = (int)row[j];
        }

        return sequence;
    }
}
