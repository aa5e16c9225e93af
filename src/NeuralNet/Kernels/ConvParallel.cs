namespace NeuralNet.Kernels;

/// <summary>
/// A body for <see cref="ConvParallel.For"/>: <see cref="Run"/> is called once for each index, each index writing a
/// part of the output no other index touches. Layers keep one instance per operation so dispatching allocates nothing.
/// </summary>
internal abstract class ParallelWork : GemmThreadTeam.IPartitionedWork
{
    /// <summary>Processes work item <paramref name="index"/>.</summary>
    public abstract void Run(int index);

    void GemmThreadTeam.IPartitionedWork.RunPart(int part) => Run(part);
}

/// <summary>
/// An allocation-free parallel loop for the element-wise parts of convolution layers (im2col, col2im, bias and
/// activation, pooling), on the same persistent threads as the GEMM (<see cref="GemmThreadTeam"/>): one pool, so a
/// convolution's loop and a product's workers never compete for the cores. Work items are independent and write
/// disjoint outputs, so results do not depend on the number of threads. A call made while the team is running another
/// (a product inside a work item, or several models training at once) runs on the calling thread.
/// </summary>
internal static class ConvParallel
{
    /// <summary>The number of threads a loop may use, the calling thread included.</summary>
    public static int DegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Calls <c>work.Run(i)</c> for every i in [0, <paramref name="count"/>), in parallel when it can.</summary>
    public static void For(int count, ParallelWork work)
    {
        int threads = Math.Min(Math.Min(DegreeOfParallelism, Parallelism.MaxDegreeOfParallelism), count);
        GemmThreadTeam.Instance.Run(work, count, threads);
    }
}
