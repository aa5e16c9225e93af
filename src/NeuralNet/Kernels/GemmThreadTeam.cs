using System.Diagnostics;

namespace NeuralNet.Kernels;

/// <summary>
/// A small team of persistent background threads that run the parts of one parallel kernel call
/// alongside the calling thread. Unlike <see cref="Parallel.For(int, int, Action{int})"/> it allocates
/// nothing per call, and workers spin briefly between calls so back-to-back products (a training step)
/// do not pay a thread wake-up each time. One call uses the team at a time; a concurrent caller runs
/// its parts on its own thread (same results: parts are independent blocks of the output).
/// </summary>
internal sealed class GemmThreadTeam
{
    // How long an idle worker keeps polling for the next call before it blocks.
    private static readonly long s_spinTicks = Stopwatch.Frequency / 5000; // 200 microseconds

    private static GemmThreadTeam? s_instance;

    private readonly object _growLock = new();
    private Worker[] _workers = [];
    private int _busy;
    private int _remaining;
    private Exception? _failure;

    public static GemmThreadTeam Instance => LazyInitializer.EnsureInitialized(ref s_instance);

    /// <summary>Runs body(0..parts): part 0 on the calling thread, the others on workers. Returns when all are done.</summary>
    public void Run(IPartitionedWork work, int parts)
    {
        if (parts <= 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int part = 0; part < parts; part++)
            {
                work.RunPart(part);
            }

            return;
        }

        try
        {
            Worker[] workers = EnsureWorkers(parts - 1);
            _failure = null;
            Volatile.Write(ref _remaining, parts - 1);
            for (int w = 0; w < parts - 1; w++)
            {
                workers[w].Start(work, w + 1);
            }

            work.RunPart(0);

            var spinner = default(SpinWait);
            while (Volatile.Read(ref _remaining) != 0)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            if (_failure is { } failure)
            {
                throw new AggregateException("A GEMM worker thread failed.", failure);
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private Worker[] EnsureWorkers(int count)
    {
        Worker[] workers = _workers;
        if (workers.Length >= count)
        {
            return workers;
        }

        lock (_growLock)
        {
            if (_workers.Length < count)
            {
                var grown = new Worker[count];
                Array.Copy(_workers, grown, _workers.Length);
                for (int i = _workers.Length; i < count; i++)
                {
                    grown[i] = new Worker(this, i);
                }

                _workers = grown;
            }

            return _workers;
        }
    }

    /// <summary>Work split into independent parts.</summary>
    internal interface IPartitionedWork
    {
        /// <summary>Runs one part; parts never overlap in what they write.</summary>
        void RunPart(int part);
    }

    private sealed class Worker
    {
        private readonly GemmThreadTeam _team;
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
        private IPartitionedWork? _work;
        private int _part = -1;

        public Worker(GemmThreadTeam team, int index)
        {
            _team = team;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"NeuralNet GEMM worker {index + 1}" };
            thread.Start();
        }

        public void Start(IPartitionedWork work, int part)
        {
            _work = work;
            Volatile.Write(ref _part, part);
            _wake.Set();
        }

        private void Loop()
        {
            while (true)
            {
                int part = Volatile.Read(ref _part);
                if (part < 0)
                {
                    long spinUntil = Stopwatch.GetTimestamp() + s_spinTicks;
                    while ((part = Volatile.Read(ref _part)) < 0 && Stopwatch.GetTimestamp() < spinUntil)
                    {
                        Thread.SpinWait(16);
                    }

                    if (part < 0)
                    {
                        _wake.Wait();
                        _wake.Reset();
                        continue;
                    }
                }

                try
                {
                    _work!.RunPart(part);
                }
#pragma warning disable CA1031 // The failure is handed to the calling thread, which rethrows it.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    _team._failure = ex;
                }
                finally
                {
                    _work = null;
                    Volatile.Write(ref _part, -1);
                    Interlocked.Decrement(ref _team._remaining);
                }
            }
        }
    }
}
