namespace NeuralNet.Kernels;

/// <summary>
/// op(B) packed once for the blocked path and reused by products that share it: the batches of one prediction all
/// multiply by the same kernel, and packing it per batch was a fifth of <c>Predict</c>'s time at batch 32. Owned by one
/// caller (a layer instance), which calls <see cref="Invalidate"/> whenever B may have changed.
/// </summary>
internal sealed class PackedB
{
    internal float[] Buffer = [];
    internal bool IsCurrent;
    internal int K;
    internal int N;
    internal int Nr;
    internal bool TransposeB;

    /// <summary>Marks the packed copy stale: the next product that uses it packs B again.</summary>
    public void Invalidate() => IsCurrent = false;
}

internal static unsafe partial class Gemm
{
    // Every Kc block of op(B) (k x n), packed as PackB packs one (jc, pc) block, for all n columns at once: block pc starts
    // at pc * nPad (the blocks before it have Kc rows each) and the panel of column j (a multiple of nr) at j * kc in it,
    // so the packed block of columns jc.. is at pc * nPad + jc * kc, as Serial reads it.
    private static float* PackedBlock(in Arguments args, int pc, int jc, int kc) =>
        args.PackedB + ((nint)pc * args.PackedBStride) + ((nint)(args.PackedBColumn + jc) * kc);

    // Packs op(B) into reuse for kernel TKernel unless it already holds this B; returns the arguments reading it.
    private static Arguments UsePackedB<TKernel>(in Arguments args, PackedB reuse, float* buffer)
        where TKernel : struct, IMicroKernel
    {
        int nr = TKernel.Nr;
        int nPad = (args.N + nr - 1) / nr * nr;
        if (!reuse.IsCurrent)
        {
            for (int pc = 0; pc < args.K; pc += Kc)
            {
                int kc = Math.Min(Kc, args.K - pc);
                PackB(args.TransposeB, args.B, args.Ldb, pc, 0, kc, args.N, nr, buffer + ((nint)pc * nPad));
            }

            reuse.IsCurrent = true;
        }

        return args.WithPackedB(buffer, nPad);
    }

    // Makes reuse hold room for op(B) packed for TKernel; a different shape or kernel than it last held makes it stale.
    private static void PrepareReuse<TKernel>(in Arguments args, PackedB reuse)
        where TKernel : struct, IMicroKernel
    {
        int nr = TKernel.Nr;
        if (reuse.K != args.K || reuse.N != args.N || reuse.Nr != nr || reuse.TransposeB != args.TransposeB)
        {
            reuse.IsCurrent = false;
            reuse.K = args.K;
            reuse.N = args.N;
            reuse.Nr = nr;
            reuse.TransposeB = args.TransposeB;
        }

        long length = (long)((args.N + nr - 1) / nr * nr) * args.K;
        if (reuse.Buffer.Length < length)
        {
            reuse.IsCurrent = false;
            reuse.Buffer = new float[length];
        }
    }
}
