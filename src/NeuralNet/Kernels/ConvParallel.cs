using System.Runtime.ExceptionServices;

namespace NeuralNet.Kernels;

/// <summary>
/// A body for <see cref="ConvParallel.For"/>: <see cref="Run"/> is called once for each index, each index writing a
/// part of the output no other index touches. Layers keep one instance per operation so dispatching allocates nothing.
/// </summary>
internal abstract class ParallelWork
{
    /// <summary>Processes work item <paramref name="index"/>.</summary>
    public abstract void Run(int index);
}

/// <summary>
/// An allocation-free parallel loop over persistent worker threads, for the element-wise parts of convolution
/// layers (im2col, col2im, bias and activation, pooling). Work items are independent and write disjoint outputs,
/// so results do not depend on the number of threads. A call made while another is running (nested calls, or
/// several models training at once) runs on the calling thread.
/// </summary>
internal static class ConvParallel
{
    private static readonly object s_createGate = new();
    private static readonly ManualResetEventSlim s_done = new(false);
    private static Worker[] s_workers = [];
    private static int s_busy;
    private static ParallelWork? s_work;
    private static int s_count;
    private static int s_next;
    private static int s_pending;
    private static Exception? s_error;

    /// <summary>The number of threads a loop may use, the calling thread included.</summary>
    public static int DegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Calls <c>work.Run(i)</c> for every i in [0, <paramref name="count"/>), in parallel when it can.</summary>
    public static void For(int count, ParallelWork work)
    {
        int threads = Math.Min(DegreeOfParallelism, count);
        if (threads <= 1 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++)
            {
                work.Run(i);
            }

            return;
        }

        try
        {
            Worker[] workers = EnsureWorkers(threads - 1);
            s_work = work;
            s_count = count;
            s_error = null;
            Volatile.Write(ref s_next, 0);
            s_pending = threads - 1;
            s_done.Reset();
            for (int w = 0; w < threads - 1; w++)
            {
                workers[w].Signal.Set();
            }

            Drain();
            s_done.Wait();
            if (s_error is { } error)
            {
                ExceptionDispatchInfo.Capture(error).Throw();
            }
        }
        finally
        {
            s_work = null;
            Volatile.Write(ref s_busy, 0);
        }
    }

    private static void Drain()
    {
        ParallelWork work = s_work!;
        int count = s_count;
        int i;
        while ((i = Interlocked.Increment(ref s_next) - 1) < count)
        {
            try
            {
                work.Run(i);
            }
#pragma warning disable CA1031 // The first failure is rethrown on the calling thread.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Interlocked.CompareExchange(ref s_error, e, null);
            }
        }
    }

    private static Worker[] EnsureWorkers(int count)
    {
        Worker[] workers = s_workers;
        if (workers.Length >= count)
        {
            return workers;
        }

        lock (s_createGate)
        {
            if (s_workers.Length < count)
            {
                var grown = new Worker[count];
                Array.Copy(s_workers, grown, s_workers.Length);
                for (int w = s_workers.Length; w < count; w++)
                {
                    grown[w] = new Worker(w);
                }

                s_workers = grown;
            }

            return s_workers;
        }
    }

    private sealed class Worker
    {
        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"NeuralNet conv worker {index}" };
            thread.Start();
        }

        public ManualResetEventSlim Signal { get; } = new(false);

        private void Loop()
        {
            while (true)
            {
                Signal.Wait();
                Signal.Reset();
                Drain();
                if (Interlocked.Decrement(ref s_pending) == 0)
                {
                    s_done.Set();
                }
            }
        }
    }
}
