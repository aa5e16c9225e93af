using System.Globalization;

namespace NeuralNet.Losses;

/// <summary>
/// Turns the per-step class scores of a model trained with <see cref="Ctc"/> into label sequences (Keras'
/// <c>keras.ops.ctc_decode</c>): <see cref="Greedy"/> takes the best class at each step, <see cref="BeamSearch"/> keeps the
/// most probable label prefixes.
/// </summary>
/// <remarks>
/// Both return Keras' layout: <see cref="CtcDecodeResult.Decoded"/> (paths, batch, steps) with each sequence left-aligned and
/// padded with −1, and <see cref="CtcDecodeResult.Scores"/> (batch, paths). Steps at or beyond a sample's sequence length
/// are ignored. The <c>maskIndex</c> argument names the blank class, 0 by default as in Keras 3 (and as <see cref="Ctc"/>
/// trains it).
/// </remarks>
public static class CtcDecoding
{
    /// <summary>
    /// Best-path decoding, as Keras' <c>strategy="greedy"</c>: the highest-scoring class at each step (the first on ties),
    /// repeats merged (when <paramref name="mergeRepeated"/>), blanks removed. The score of a sample is minus the sum of
    /// those highest scores over its steps (Keras' and TensorFlow's <c>neg_sum_logits</c>).
    /// </summary>
    /// <param name="predictions">The model's outputs, (batch, steps, classes): logits or log-probabilities.</param>
    /// <param name="sequenceLengths">The number of steps to read for each sample; empty for all of them.</param>
    /// <param name="mergeRepeated">Whether consecutive equal classes count once (Keras' default true).</param>
    /// <param name="maskIndex">The blank class, 0 as <see cref="Ctc.Blank"/> by default (Keras 3's <c>mask_index</c>).</param>
    /// <returns>Decoded (1, batch, steps) and scores (batch, 1).</returns>
    /// <exception cref="ArgumentException">The shapes or the lengths do not fit, or <paramref name="maskIndex"/> is not a class.</exception>
    public static CtcDecodeResult Greedy(Tensor predictions, ReadOnlySpan<int> sequenceLengths = default, bool mergeRepeated = true, int maskIndex = 0)
    {
        (int batch, int steps, int classes) = Check(predictions, sequenceLengths, maskIndex);
        var decoded = Tensor.Zeros(1, batch, steps);
        var scores = Tensor.Zeros(batch, 1);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan();
        Span<float> d = decoded.AsSpan();
        d.Fill(-1f);
        for (int b = 0; b < batch; b++)
        {
            int length = sequenceLengths.IsEmpty ? steps : sequenceLengths[b], written = 0, previous = -1;
            double sum = 0;
            for (int t = 0; t < length; t++)
            {
                ReadOnlySpan<float> row = p.Slice(((b * steps) + t) * classes, classes);
                int best = 0;
                for (int k = 1; k < classes; k++)
                {
                    if (row[k] > row[best])
                    {
                        best = k;
                    }
                }

                sum += row[best];
                bool repeat = mergeRepeated && best == previous;
                previous = best;
                if (best != maskIndex && !repeat)
                {
                    d[(b * steps) + written++] = best;
                }
            }

            scores[b, 0] = (float)-sum;
        }

        return new CtcDecodeResult(decoded, scores);
    }

    /// <summary>
    /// Prefix beam search, as Keras' <c>strategy="beam_search"</c>: after each step it keeps the
    /// <paramref name="beamWidth"/> label prefixes of highest probability, each prefix's probability summed over the
    /// alignments that end in a blank and those that end in its last label. Scores are the prefixes' log-probabilities
    /// under <c>log_softmax</c> of the predictions (with a beam as wide as every prefix, exactly −<see cref="Ctc"/>'s loss).
    /// </summary>
    /// <param name="predictions">The model's outputs, (batch, steps, classes), logits.</param>
    /// <param name="sequenceLengths">The number of steps to read for each sample; empty for all of them.</param>
    /// <param name="beamWidth">The number of prefixes kept after each step (Keras' default 100).</param>
    /// <param name="topPaths">The number of best sequences returned per sample, at most <paramref name="beamWidth"/>.</param>
    /// <param name="maskIndex">The blank class, 0 as <see cref="Ctc.Blank"/> by default (Keras 3's <c>mask_index</c>).</param>
    /// <returns>Decoded (topPaths, batch, steps) and scores (batch, topPaths); a path the search did not reach is all −1 with score −∞.</returns>
    /// <exception cref="ArgumentException">The shapes or the lengths do not fit, or <paramref name="maskIndex"/> is not a class.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="beamWidth"/> is below 1, or <paramref name="topPaths"/> is outside [1, beamWidth].</exception>
    public static CtcDecodeResult BeamSearch(Tensor predictions, ReadOnlySpan<int> sequenceLengths = default, int beamWidth = 100, int topPaths = 1, int maskIndex = 0)
    {
        (int batch, int steps, int classes) = Check(predictions, sequenceLengths, maskIndex);
        if (beamWidth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(beamWidth), beamWidth, "CTC beam search needs beamWidth >= 1.");
        }

        if (topPaths < 1 || topPaths > beamWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(topPaths), topPaths, string.Create(CultureInfo.InvariantCulture,
                $"CTC beam search returns between 1 and beamWidth ({beamWidth}) paths, but topPaths is {topPaths}."));
        }

        var decoded = Tensor.Zeros(topPaths, batch, steps);
        var scores = Tensor.Zeros(batch, topPaths);
        decoded.AsSpan().Fill(-1f);
        scores.AsSpan().Fill(float.NegativeInfinity);
        double[] logProbs = new double[classes];
        for (int b = 0; b < batch; b++)
        {
            var search = new PrefixBeamSearch(classes, maskIndex, beamWidth);
            int length = sequenceLengths.IsEmpty ? steps : sequenceLengths[b];
            for (int t = 0; t < length; t++)
            {
                Kernels.CtcLattice.LogSoftmax(predictions.AsReadOnlySpan().Slice(((b * steps) + t) * classes, classes), classes, logProbs);
                search.Step(logProbs);
            }

            IReadOnlyList<(int[] Labels, double Score)> best = search.Best(topPaths);
            for (int path = 0; path < best.Count; path++)
            {
                Span<float> row = decoded.AsSpan().Slice(((path * batch) + b) * steps, steps);
                for (int j = 0; j < best[path].Labels.Length; j++)
                {
                    row[j] = best[path].Labels[j];
                }

                scores[b, path] = (float)best[path].Score;
            }
        }

        return new CtcDecodeResult(decoded, scores);
    }

    private static (int Batch, int Steps, int Classes) Check(Tensor predictions, ReadOnlySpan<int> sequenceLengths, int maskIndex)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (predictions.Rank != 3 || predictions.Shape[2] < 1)
        {
            throw new ArgumentException($"CTC decoding expects predictions (batch, steps, classes) but got {predictions.Shape}.", nameof(predictions));
        }

        int batch = predictions.Shape[0], steps = predictions.Shape[1], classes = predictions.Shape[2];
        if ((uint)maskIndex >= (uint)classes)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"CTC decoding: maskIndex {maskIndex} is not a class of predictions {predictions.Shape}; expected 0 <= maskIndex < {classes}."), nameof(maskIndex));
        }

        if (!sequenceLengths.IsEmpty)
        {
            if (sequenceLengths.Length != batch)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"CTC decoding: {sequenceLengths.Length} sequence lengths for a batch of {batch}; pass one per sample or none."), nameof(sequenceLengths));
            }

            for (int b = 0; b < batch; b++)
            {
                if ((uint)sequenceLengths[b] > (uint)steps)
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"CTC decoding: sequence length {sequenceLengths[b]} of sample {b} is outside [0, {steps}], the steps of predictions {predictions.Shape}."), nameof(sequenceLengths));
                }
            }
        }

        return (batch, steps, classes);
    }
}
