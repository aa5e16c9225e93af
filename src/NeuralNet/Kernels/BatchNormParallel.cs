namespace NeuralNet.Kernels;

/// <summary>
/// Runs <see cref="BatchNormManyChannels"/>' passes on the library's worker pool (<see cref="ConvParallel"/>, the
/// threads of the GEMM and the convolutions): the sums over blocks of channels, the element-wise passes over blocks of
/// rows.
/// </summary>
/// <remarks>
/// <code>
/// sums:         part p sums channels [p·block, (p + 1)·block) over every row in order; block = a multiple of 16 channels
/// element-wise: part p handles rows [p·rowsPerPart, (p + 1)·rowsPerPart)
/// </code>
/// Each channel's sum stays one sequential chain over the rows on one thread, and every element-wise value is computed
/// by the same operations wherever its row falls, so the results have the bits of one call on the whole input for every
/// number of threads and every split. Only the split itself depends on the thread count. Below
/// <see cref="ParallelValues"/> values a pass stays on the calling thread (waking a worker costs tens of microseconds).
/// The spans are pinned for the duration of a call and reached through pointers from the workers, as
/// <see cref="Gemm"/>'s parallel job does; nothing is allocated after a thread's first call.
/// </remarks>
internal static unsafe class BatchNormParallel
{
    /// <summary>The smallest input (values) whose passes are split over threads.</summary>
    public const int ParallelValues = 1 << 15;

    // Channels per sum block are a multiple of 16 floats: a 64-byte cache line, so two threads never read the same line.
    private const int ChannelAlignment = 16;

    // Element-wise parts per thread: a thread delayed by another job on its core leaves its later parts to the others.
    private const int PartsPerThread = 4;

    [ThreadStatic]
    private static Job? s_job;

    /// <summary>The parallel twin of <see cref="BatchNormManyChannels.Sums(ReadOnlySpan{float}, int, ReadOnlySpan{float}, bool, ReadOnlySpan{float}, Span{double})"/>.</summary>
    public static int Sums(ReadOnlySpan<float> x, int channels, ReadOnlySpan<float> mean, bool squares, ReadOnlySpan<float> rowMask, Span<double> sums)
    {
        (int parts, int block) = ChannelBlocks(x.Length, channels);
        if (parts <= 1)
        {
            return BatchNormManyChannels.Sums(x, channels, mean, squares, rowMask, sums);
        }

        fixed (float* px = x, pmean = mean, pmask = rowMask)
        fixed (double* psums = sums)
        {
            Job job = s_job ??= new Job();
            job.Prepare(Pass.Sums, x.Length, channels, block);
            job.X = px;
            job.Mean = pmean;
            job.Mask = pmask;
            job.MaskLength = rowMask.Length;
            job.Sums = psums;
            job.Squares = squares;
            job.Execute(parts);
            return job.Counted;
        }
    }

    /// <summary>The parallel twin of <see cref="BatchNormManyChannels.GradientSums(ReadOnlySpan{float}, ReadOnlySpan{float}, int, Span{double}, Span{double})"/>.</summary>
    public static void GradientSums(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, int channels, Span<double> sumDy, Span<double> sumDyXhat)
    {
        (int parts, int block) = ChannelBlocks(dy.Length, channels);
        if (parts <= 1)
        {
            BatchNormManyChannels.GradientSums(dy, xhat, channels, sumDy, sumDyXhat);
            return;
        }

        fixed (float* pdy = dy, pxhat = xhat)
        fixed (double* psumDy = sumDy, psumDyXhat = sumDyXhat)
        {
            Job job = s_job ??= new Job();
            job.Prepare(Pass.GradientSums, dy.Length, channels, block);
            job.Dy = pdy;
            job.Xhat = pxhat;
            job.Sums = psumDy;
            job.Sums2 = psumDyXhat;
            job.Execute(parts);
        }
    }

    /// <summary>The parallel twin of <see cref="BatchNormManyChannels.Normalize"/> (xhat may be empty).</summary>
    public static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int channels, Span<float> xhat, Span<float> y)
    {
        (int parts, int rowsPerPart) = RowBlocks(x.Length, channels);
        if (parts <= 1)
        {
            BatchNormManyChannels.Normalize(x, mean, invStd, gamma, beta, channels, xhat, y);
            return;
        }

        fixed (float* px = x, pmean = mean, pinv = invStd, pgamma = gamma, pbeta = beta, pxhat = xhat, py = y)
        {
            Job job = s_job ??= new Job();
            job.Prepare(Pass.Normalize, x.Length, channels, rowsPerPart);
            job.X = px;
            job.Mean = pmean;
            job.InvStd = pinv;
            job.Gamma = pgamma;
            job.GammaLength = gamma.Length;
            job.Beta = pbeta;
            job.BetaLength = beta.Length;
            job.Xhat = pxhat;
            job.XhatLength = xhat.Length;
            job.Output = py;
            job.Execute(parts);
        }
    }

    /// <summary>The parallel twin of <see cref="BatchNormManyChannels.InputGradient"/>.</summary>
    public static void InputGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma, ReadOnlySpan<float> invStd,
        int channels, bool batchStatistics, ReadOnlySpan<float> rowMask, ReadOnlySpan<double> sumDy, ReadOnlySpan<double> sumDyXhat, double count,
        Span<float> dx)
    {
        (int parts, int rowsPerPart) = RowBlocks(dy.Length, channels);
        if (parts <= 1)
        {
            BatchNormManyChannels.InputGradient(dy, xhat, gamma, invStd, channels, batchStatistics, rowMask, sumDy, sumDyXhat, count, dx);
            return;
        }

        fixed (float* pdy = dy, pxhat = xhat, pgamma = gamma, pinv = invStd, pmask = rowMask, pdx = dx)
        fixed (double* psumDy = sumDy, psumDyXhat = sumDyXhat)
        {
            Job job = s_job ??= new Job();
            job.Prepare(Pass.InputGradient, dy.Length, channels, rowsPerPart);
            job.Dy = pdy;
            job.Xhat = pxhat;
            job.XhatLength = xhat.Length;
            job.Gamma = pgamma;
            job.GammaLength = gamma.Length;
            job.InvStd = pinv;
            job.Mask = pmask;
            job.MaskLength = rowMask.Length;
            job.Sums = psumDy;
            job.Sums2 = psumDyXhat;
            job.Count = count;
            job.BatchStatistics = batchStatistics;
            job.Output = pdx;
            job.Execute(parts);
        }
    }

    // Up to one block per thread, each a whole number of cache lines of channels.
    private static (int Parts, int Block) ChannelBlocks(int length, int channels)
    {
        int threads = Threads(length);
        int lines = (channels + ChannelAlignment - 1) / ChannelAlignment;
        int parts = Math.Min(threads, lines);
        int block = (lines + parts - 1) / parts * ChannelAlignment;
        return ((channels + block - 1) / block, block);
    }

    private static (int Parts, int RowsPerPart) RowBlocks(int length, int channels)
    {
        int threads = Threads(length), rows = length / channels;
        int parts = Math.Min(rows, threads == 1 ? 1 : threads * PartsPerThread);
        int rowsPerPart = (rows + parts - 1) / parts;
        return ((rows + rowsPerPart - 1) / rowsPerPart, rowsPerPart);
    }

    private static int Threads(int length) =>
        length < ParallelValues ? 1 : Math.Max(1, Math.Min(ConvParallel.DegreeOfParallelism, Parallelism.MaxDegreeOfParallelism));

    private enum Pass
    {
        Sums,
        GradientSums,
        Normalize,
        InputGradient,
    }

    // One calling thread's pass: the pinned spans as pointers and lengths, cleared after the call.
    private sealed class Job : ParallelWork
    {
        public float* X, Mean, Mask, Dy, Xhat, InvStd, Gamma, Beta, Output;
        public double* Sums, Sums2;
        public int MaskLength, XhatLength, GammaLength, BetaLength, Counted;
        public bool Squares, BatchStatistics;
        public double Count;
        private Pass _pass;
        private int _length, _channels, _block;

        public void Prepare(Pass pass, int length, int channels, int block) => (_pass, _length, _channels, _block) = (pass, length, channels, block);

        public void Execute(int parts)
        {
            try
            {
                ConvParallel.For(parts, this);
            }
            finally
            {
                X = Mean = Mask = Dy = Xhat = InvStd = Gamma = Beta = Output = null;
                Sums = Sums2 = null;
            }
        }

        public override void Run(int index)
        {
            int channels = _channels;
            if (_pass is Pass.Sums or Pass.GradientSums)
            {
                // A block of channels over every row.
                int first = index * _block, width = Math.Min(_block, channels - first);
                if (_pass == Pass.Sums)
                {
                    int counted = BatchNormManyChannels.Sums(new(X, _length), channels, first, width, new(Mean, Mean == null ? 0 : channels),
                        Squares, new(Mask, MaskLength), new(Sums, channels));
                    if (index == 0)
                    {
                        Counted = counted;
                    }
                }
                else
                {
                    BatchNormManyChannels.GradientSums(new(Dy, _length), new(Xhat, _length), channels, first, width, new(Sums, channels), new(Sums2, channels));
                }

                return;
            }

            // A block of rows, every channel.
            int rows = _length / channels, firstRow = index * _block, count = Math.Min(_block, rows - firstRow);
            int offset = firstRow * channels, length = count * channels;
            if (_pass == Pass.Normalize)
            {
                BatchNormManyChannels.Normalize(new(X + offset, length), new(Mean, channels), new(InvStd, channels), new(Gamma, GammaLength),
                    new(Beta, BetaLength), channels, XhatLength == 0 ? default : new(Xhat + offset, length), new(Output + offset, length));
            }
            else
            {
                BatchNormManyChannels.InputGradient(new(Dy + offset, length), new(Xhat + offset, length), new(Gamma, GammaLength), new(InvStd, channels),
                    channels, BatchStatistics, MaskLength == 0 ? default : new(Mask + firstRow, count), new(Sums, channels), new(Sums2, channels),
                    Count, new(Output + offset, length));
            }
        }
    }
}
