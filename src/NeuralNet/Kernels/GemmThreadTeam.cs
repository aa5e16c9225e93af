using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace NeuralNet.Kernels;

/// <summary>
/// A small team of persistent background threads that run the parts of one parallel kernel call
/// alongside the calling thread. Unlike <see cref="Parallel.For(int, int, Action{int})"/> it allocates
/// nothing per call, and workers spin briefly between calls so back-to-back products (a training step)
/// do not pay a thread wake-up each time. Parts are claimed from a shared counter, so when a worker
/// is slow to start (its core is busy) the calling thread runs the remaining parts itself. One call
/// uses the team at a time; a concurrent caller runs its parts on its own thread. Which thread runs a
/// part never changes what the part computes.
/// </summary>
internal sealed class GemmThreadTeam
{
    // How long an idle worker keeps polling for the next call before it blocks.
    private static readonly long s_spinTicks = Stopwatch.Frequency / 5000; // 200 microseconds

    private static GemmThreadTeam? s_instance;

    private readonly object _growLock = new();
    private Worker[] _workers = [];
    private int _busy;

    // The current call's claims in one word: generation (24 bits) | part count (20 bits) | next unclaimed part (20 bits).
    // A part is claimed with a compare-and-swap on the whole word, so a worker delayed between reading the word and
    // claiming (or woken late) can never take a part of a call that has moved on; between calls the count is 0.
    private const int IndexBits = 20;
    private const long IndexMask = (1L << IndexBits) - 1;
    private long _claims;
    private int _generation;

    // The current call; written before _claims opens it and left alone until _remaining reaches 0.
    private IPartitionedWork? _work;
    private int _remaining;
    private Exception? _failure;

    // When the last short call (RunShort) finished, in Stopwatch ticks.
    private long _lastShortCallEnd;

    public static GemmThreadTeam Instance => LazyInitializer.EnsureInitialized(ref s_instance);

    /// <summary>Runs work.RunPart(0..parts) on the calling thread and up to parts - 1 workers; returns when all are done.</summary>
    public void Run(IPartitionedWork work, int parts) => Run(work, parts, parts);

    /// <summary>
    /// Runs work.RunPart(0..parts) on the calling thread and up to threads - 1 workers, which claim parts until none are
    /// left; returns when all are done. A part's exception is rethrown on the calling thread.
    /// </summary>
    public void Run(IPartitionedWork work, int parts, int threads) => Run(work, parts, threads, shortCall: false);

    /// <summary>
    /// Runs a call of a few tens of microseconds (one sample's product) like <see cref="Run(IPartitionedWork, int)"/>, but
    /// wakes a worker that has blocked (more than a spin window ago) only when the previous short call ended within two
    /// spin windows: waking a blocked thread costs the waking thread 20-40 us on a virtual machine (the futex wake sends
    /// an interprocessor interrupt to a halted virtual CPU), as long as the call itself. Calls that arrive one at a time
    /// run on the caller alone (30 us instead of 52 us for one MNIST sample, docs/performance.md); calls back to back
    /// pay the wake once and then share the spinning worker.
    /// </summary>
    public void RunShort(IPartitionedWork work, int parts) => Run(work, parts, parts, shortCall: true);

    private void Run(IPartitionedWork work, int parts, int threads, bool shortCall)
    {
        if (parts <= 1 || threads <= 1 || parts > IndexMask || OverlappingPredictions.StayOnCaller || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int part = 0; part < parts; part++)
            {
                work.RunPart(part);
            }

            return;
        }

        try
        {
            int helpers = Math.Min(parts, threads) - 1;
            Worker[] workers = EnsureWorkers(helpers);
            _failure = null;
            _work = work;
            Volatile.Write(ref _remaining, parts);
            long generation = (long)(_generation = (_generation + 1) & 0xFFFFFF) << (2 * IndexBits);
            Interlocked.Exchange(ref _claims, generation | ((long)parts << IndexBits));
            long now = shortCall ? Stopwatch.GetTimestamp() : 0;
            bool wakeSleeping = !shortCall || now - _lastShortCallEnd < 2 * s_spinTicks;
            for (int w = 0; w < helpers; w++)
            {
                // A worker left asleep claims nothing; the caller runs its parts.
                if (wakeSleeping || workers[w].IsCheapToWake(now))
                {
                    workers[w].Wake();
                }
            }

            RunParts();

            var spinner = default(SpinWait);
            while (Volatile.Read(ref _remaining) != 0)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            Interlocked.Exchange(ref _claims, generation); // no parts: a late worker claims nothing
            _work = null;
            if (shortCall)
            {
                _lastShortCallEnd = Stopwatch.GetTimestamp();
            }

            if (_failure is { } failure)
            {
                ExceptionDispatchInfo.Capture(failure).Throw();
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    // Claims and runs parts of the current call until none are left.
    private void RunParts()
    {
        while (true)
        {
            long claims = Volatile.Read(ref _claims);
            int part = (int)(claims & IndexMask), parts = (int)((claims >> IndexBits) & IndexMask);
            if (part >= parts)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _claims, claims + 1, claims) != claims)
            {
                continue;
            }

            // The claimed part belongs to the call still running: it cannot finish before this part does.
            try
            {
                Volatile.Read(ref _work)!.RunPart(part);
            }
#pragma warning disable CA1031 // The failure is handed to the calling thread, which rethrows it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.CompareExchange(ref _failure, ex, null);
            }
            finally
            {
                Interlocked.Decrement(ref _remaining);
            }
        }
    }

    /// <summary>
    /// Starts the workers for up to <paramref name="threads"/> threads now rather than on the first call that needs them
    /// (tests that count allocations while others change <see cref="Parallelism.MaxDegreeOfParallelism"/>).
    /// </summary>
    internal void Reserve(int threads) => EnsureWorkers(threads - 1);

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
        private int _pending;
        // When the worker last blocked, in Stopwatch ticks; long.MaxValue while it spins (0 before it first has).
        private long _blockedSince;

        public Worker(GemmThreadTeam team, int index)
        {
            _team = team;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"NeuralNet GEMM worker {index + 1}" };
            thread.Start();
        }

        /// <summary>
        /// Whether the worker is polling for the next call, or blocked for less than the spin window: the hypervisor
        /// polls a halted virtual CPU for a while before it deschedules it, and a wake in that time costs little.
        /// </summary>
        public bool IsCheapToWake(long now) => now - Volatile.Read(ref _blockedSince) < s_spinTicks;

        public void Wake()
        {
            Volatile.Write(ref _pending, 1);
            _wake.Set();
        }

        private void Loop()
        {
            while (true)
            {
                if (Interlocked.Exchange(ref _pending, 0) == 0)
                {
                    Volatile.Write(ref _blockedSince, long.MaxValue);
                    long spinUntil = Stopwatch.GetTimestamp() + s_spinTicks;
                    while (Volatile.Read(ref _pending) == 0 && Stopwatch.GetTimestamp() < spinUntil)
                    {
                        Thread.SpinWait(16);
                    }

                    Volatile.Write(ref _blockedSince, Stopwatch.GetTimestamp());
                    if (Volatile.Read(ref _pending) == 0)
                    {
                        _wake.Wait();
                        _wake.Reset();
                    }

                    continue;
                }

                _team.RunParts();
            }
        }
    }
}
