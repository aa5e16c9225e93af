using System.Runtime.CompilerServices;
namespace NeuralNet.Kernels;

/// <summary>
/// Batch normalization over the last axis: statistics, normalization and the backward pass, with a reference twin.
/// </summary>
/// <remarks>
/// <code>
/// x, y, xhat: (rows, channels)   rows = batch * every axis but the last
/// mean, variance, gamma, beta, invStd: (channels)
/// training:   mean, variance (biased, as Keras) of x;  xhat = (x - mean) * invStd, invStd = 1 / sqrt(variance + eps)
/// output:     y = gamma * xhat + beta
/// backward:   dbeta += sum dy;  dgamma += sum dy * xhat
///             batch statistics: dx = gamma * invStd / rows * (rows * dy - sum dy - xhat * sum(dy * xhat))
///             fixed statistics: dx = gamma * invStd * dy
/// masked (Keras 3's _moments with a mask; w = 1 for a real row, 0 for a masked one, D = sum w + 1e-7 in float32):
///             mean = sum(w x) / D, variance = sum(w (x - mean)^2) / D; every row is normalized with them
///             dx = gamma * invStd * (dy - w * sum dy / D - w * xhat * sum(dy * xhat) / D), sums over every row
/// </code>
/// Each channel's sum runs over the rows in order on one thread, so results are reproducible. Without a mask, fewer than
/// <see cref="BatchNormFewChannels.MaxChannels"/> channels take <see cref="BatchNormFewChannels"/>'s passes, vectorised
/// over the rows: the same bits for the element-wise work; the sums in a fixed blocked order, the same on every machine.
/// More channels, and any count with a mask, take <see cref="BatchNormManyChannels"/>'s passes, vectorised over the
/// channels: one sequential chain over the rows per channel, the bits of a plain per-channel scalar loop. Every pass runs
/// on the calling thread: splitting them over the worker pool (session 45, blocks of channels for the sums and of rows
/// for the rest) made a (128, 28, 28, 64) training step 4.4x slower on two threads on an idle machine, and was removed.
/// </remarks>
internal static class BatchNorm
{
    /// <summary>
    /// mean and (biased) variance of each channel of x (rows, channels), accumulated in double precision in
    /// <paramref name="scratch"/> (at least <paramref name="channels"/> long, the caller's so that nothing is allocated).
    /// With a <paramref name="rowMask"/>, Keras 3's masked moments: only rows whose mask entry is non-zero count, and the
    /// sums are divided by their number plus Keras' 1e-7 (added in float32, as Keras does), so an all-masked batch gives
    /// mean and variance 0 as in Keras. Returns the divisor (the number of rows without a mask), which
    /// <see cref="Backward"/> needs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Statistics(ReadOnlySpan<float> x, int channels, Span<float> mean, Span<float> variance, Span<double> scratch,
        ReadOnlySpan<float> rowMask = default)
    {
        int rows = Validate(x.Length, channels, mean.Length, variance.Length);
        bool masked = !rowMask.IsEmpty;
        if (masked)
        {
            RequireMask(rowMask, rows);
        }

        RequireScratch(scratch, channels);
        Span<double> sums = scratch[..channels];
        sums.Clear();
        int counted;
        bool fewChannels = !masked && channels < BatchNormFewChannels.MaxChannels;
        if (fewChannels)
        {
            BatchNormFewChannels.Sums(x, channels, default, squares: false, sums);
            counted = rows;
        }
        else
        {
            counted = BatchNormManyChannels.Sums(x, channels, default, squares: false, rowMask, sums);
        }

        // Keras adds 1e-7 to the count in float32; the unmasked divisor stays an exact row count.
        double divisor = masked ? (double)(counted + 1e-7f) : rows;
        for (int c = 0; c < channels; c++)
        {
            mean[c] = (float)(sums[c] / divisor);
        }

        sums.Clear();
        if (fewChannels)
        {
            BatchNormFewChannels.Sums(x, channels, mean, squares: true, sums);
        }
        else
        {
            BatchNormManyChannels.Sums(x, channels, mean, squares: true, rowMask, sums);
        }

        for (int c = 0; c < channels; c++)
        {
            variance[c] = (float)(sums[c] / divisor);
        }

        return (float)divisor;
    }

    /// <summary>invStd = 1 / sqrt(variance + epsilon).</summary>
    public static void InverseStandardDeviation(ReadOnlySpan<float> variance, float epsilon, Span<float> invStd)
    {
        for (int c = 0; c < variance.Length; c++)
        {
            invStd[c] = 1f / MathF.Sqrt(variance[c] + epsilon);
        }
    }

    /// <summary>xhat = (x - mean) * invStd and y = gamma * xhat + beta (gamma/beta empty: 1/0); xhat empty: y only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int channels, Span<float> xhat, Span<float> y)
    {
        _ = Validate(x.Length, channels, mean.Length, invStd.Length);
        RequireLength(y.Length, x.Length, nameof(y));
        if (!xhat.IsEmpty)
        {
            RequireLength(xhat.Length, x.Length, nameof(xhat));
        }

        RequireAffine(gamma, beta, channels);
        if (channels < BatchNormFewChannels.MaxChannels)
        {
            BatchNormFewChannels.Normalize(x, mean, invStd, gamma, beta, channels, xhat, y);
            return;
        }

        BatchNormManyChannels.Normalize(x, mean, invStd, gamma, beta, channels, xhat, y);
    }

    /// <summary>
    /// Backward pass: accumulates gammaGradient and betaGradient (when not empty) and overwrites inputGradient.
    /// <paramref name="batchStatistics"/> says whether the forward pass normalized with the batch's own statistics; the
    /// per-channel sums are kept in <paramref name="scratch"/> (at least 2 * <paramref name="channels"/> long). With a
    /// <paramref name="rowMask"/> the statistics were masked <see cref="Statistics"/> and <paramref name="divisor"/> is what
    /// it returned; without one (empty) the divisor is the number of rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> invStd, int channels, bool batchStatistics, Span<float> gammaGradient, Span<float> betaGradient, Span<float> inputGradient,
        Span<double> scratch, ReadOnlySpan<float> rowMask = default, float divisor = 0)
    {
        int rows = Validate(outputGradient.Length, channels, invStd.Length, invStd.Length);
        RequireLength(xhat.Length, outputGradient.Length, nameof(xhat));
        RequireLength(inputGradient.Length, outputGradient.Length, nameof(inputGradient));
        RequireAffine(gamma, default, channels);
        RequireScratch(scratch, 2 * channels);
        if (!rowMask.IsEmpty)
        {
            RequireMask(rowMask, rows);
        }

        double count = rowMask.IsEmpty ? (double)rows : divisor;
        Span<double> sumDy = scratch[..channels];
        Span<double> sumDyXhat = scratch.Slice(channels, channels);
        sumDy.Clear();
        sumDyXhat.Clear();
        bool fewChannels = rowMask.IsEmpty && channels < BatchNormFewChannels.MaxChannels;
        if (fewChannels)
        {
            BatchNormFewChannels.GradientSums(outputGradient, xhat, channels, sumDy, sumDyXhat);
        }
        else
        {
            BatchNormManyChannels.GradientSums(outputGradient, xhat, channels, sumDy, sumDyXhat);
        }

        for (int c = 0; c < channels; c++)
        {
            if (!gammaGradient.IsEmpty)
            {
                gammaGradient[c] += (float)sumDyXhat[c];
            }

            if (!betaGradient.IsEmpty)
            {
                betaGradient[c] += (float)sumDy[c];
            }
        }

        if (fewChannels)
        {
            BatchNormFewChannels.InputGradient(outputGradient, xhat, gamma, invStd, channels, batchStatistics, sumDy, sumDyXhat, count, inputGradient);
            return;
        }

        BatchNormManyChannels.InputGradient(outputGradient, xhat, gamma, invStd, channels, batchStatistics, rowMask, sumDy, sumDyXhat, count, inputGradient);
    }

    /// <summary>
    /// Reference twin of a training-mode forward pass, in double precision straight from the definition:
    /// y = gamma * (x - mean) / sqrt(variance + epsilon) + beta with the batch's mean and biased variance.
    /// </summary>
    /// <remarks>With a <paramref name="rowMask"/>, Keras 3's masked moments as its code writes them: w = mask,
    /// mean = sum(w x) / (sum w + 1e-7), variance = sum(w (w x - mean)^2) / (sum w + 1e-7).</remarks>
    public static void TrainingForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        int channels, float epsilon, Span<float> mean, Span<float> variance, Span<float> y, ReadOnlySpan<float> rowMask = default)
    {
        int rows = x.Length / channels;
        double weights = 0;
        for (int r = 0; r < rows; r++)
        {
            weights += rowMask.IsEmpty ? 1 : (rowMask[r] != 0 ? 1 : 0);
        }

        double divisor = rowMask.IsEmpty ? rows : (float)weights + 1e-7f;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int r = 0; r < rows; r++)
            {
                double w = rowMask.IsEmpty || rowMask[r] != 0 ? 1 : 0;
                sum += w * x[(r * channels) + c];
            }

            double m = sum / divisor, squares = 0;
            for (int r = 0; r < rows; r++)
            {
                double w = rowMask.IsEmpty || rowMask[r] != 0 ? 1 : 0;
                double d = (w * x[(r * channels) + c]) - m;
                squares += w * d * d;
            }

            double v = squares / divisor;
            mean[c] = (float)m;
            variance[c] = (float)v;
            for (int r = 0; r < rows; r++)
            {
                double h = (x[(r * channels) + c] - m) / Math.Sqrt(v + epsilon);
                y[(r * channels) + c] = (float)((gamma.IsEmpty ? h : gamma[c] * h) + (beta.IsEmpty ? 0 : beta[c]));
            }
        }
    }

    private static void RequireMask(ReadOnlySpan<float> rowMask, int rows)
    {
        if (rowMask.Length != rows)
        {
            throw new ArgumentException($"BatchNorm: the mask holds {rowMask.Length} values but the input has {rows} rows.", nameof(rowMask));
        }
    }

    private static void RequireLength(int length, int expected, string name)
    {
        if (length < expected)
        {
            throw new ArgumentException($"BatchNorm: {name} holds {length} values but the input has {expected}.", name);
        }
    }

    private static void RequireAffine(ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int channels)
    {
        if ((!gamma.IsEmpty && gamma.Length < channels) || (!beta.IsEmpty && beta.Length < channels))
        {
            throw new ArgumentException($"BatchNorm: gamma ({gamma.Length} values) and beta ({beta.Length}) must be empty or hold the {channels} channels.");
        }
    }

    private static void RequireScratch(Span<double> scratch, int length)
    {
        if (scratch.Length < length)
        {
            throw new ArgumentException($"BatchNorm: the scratch holds {scratch.Length} values but {length} are needed.", nameof(scratch));
        }
    }

    private static int Validate(int length, int channels, int statsLength, int otherLength)
    {
        if (channels <= 0 || length % channels != 0 || statsLength < channels || otherLength < channels)
        {
            throw new ArgumentException($"BatchNorm: {length} values are not whole rows of {channels} channels, or the per-channel spans ({statsLength}, {otherLength}) are too short.");
        }

        return length / channels;
    }
}
