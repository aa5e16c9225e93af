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
    private static int s_generation;

    // The current loop in one word: generation (24 bits) | item count (20 bits) | next unclaimed index (20 bits).
    // Workers claim an index with a compare-and-swap on the whole word, so a worker that wakes late can never claim
    // an index of a loop that has moved on, and the caller never waits for a worker that has not started.
    private const int IndexBits = 20;
    private const long IndexMask = (1L << IndexBits) - 1;
    private static long s_state;
    private static ParallelWork? s_work;
    private static int s_completed;
    private static Exception? s_error;

    /// <summary>The number of threads a loop may use, the calling thread included.</summary>
    public static int DegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Calls <c>work.Run(i)</c> for every i in [0, <paramref name="count"/>), in parallel when it can.</summary>
    public static void For(int count, ParallelWork work)
    {
        int threads = Math.Min(Math.Min(DegreeOfParallelism, Parallelism.MaxDegreeOfParallelism), count);
        if (threads <= 1 || count > IndexMask || OverlappingPredictions.StayOnCaller || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
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
            s_completed = 0;
            s_error = null;
            s_done.Reset();
            long generation = ++s_generation & 0xFFFFFF;
            Volatile.Write(ref s_state, (generation << (2 * IndexBits)) | ((long)count << IndexBits));
            for (int w = 0; w < threads - 1; w++)
            {
                workers[w].Signal.Set();
            }

            Drain();
            var spinner = default(SpinWait);
            while (Volatile.Read(ref s_completed) < count)
            {
                if (spinner.NextSpinWillYield)
                {
                    s_done.Wait();
                    break;
                }

                spinner.SpinOnce();
            }

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
        while (true)
        {
            long state = Volatile.Read(ref s_state);
            int index = (int)(state & IndexMask), count = (int)((state >> IndexBits) & IndexMask);
            if (index >= count || Interlocked.CompareExchange(ref s_state, state + 1, state) != state)
            {
                if (index >= count)
                {
                    return;
                }

                continue;
            }

            // The claimed index belongs to the loop still running: it cannot finish before this item does.
            ParallelWork work = Volatile.Read(ref s_work)!;
            try
            {
                work.Run(index);
            }
#pragma warning disable CA1031 // The first failure is rethrown on the calling thread.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Interlocked.CompareExchange(ref s_error, e, null);
            }
            finally
            {
                if (Interlocked.Increment(ref s_completed) == count)
                {
                    s_done.Set();
                }
            }
        }
    }

    /// <summary>Starts the workers for up to <paramref name="threads"/> threads now (see <see cref="GemmThreadTeam.Reserve"/>).</summary>
    internal static void Reserve(int threads) => EnsureWorkers(threads - 1);

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
            }
        }
    }
}
