#if !NEURALNET_BASELINE
using BenchmarkDotNet.Attributes;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>
/// A served model's throughput: 2,000 single-sample <c>Predict(row, destination)</c> calls on the 784-512-10 MLP, issued
/// by one thread (the baseline), by two threads at once (1,000 each, side by side on one model), and by two threads
/// that take turns through a lock of their own (what the model-wide lock of the previous version did). With
/// <see cref="Threads"/> = 1 every product runs on its caller's thread; with 2 a lone caller also splits the large
/// product over the GEMM team, which two callers then compete for.
/// </summary>
[MemoryDiagnoser]
public class ConcurrentPredictBenchmarks
{
    private const int Calls = 2000;

    private readonly object _turns = new();
    private Sequential _model = null!;
    private Caller[] _callers = null!;
    private int _savedThreads;

    /// <summary>Parallelism.MaxDegreeOfParallelism during the run.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _savedThreads = Parallelism.MaxDegreeOfParallelism;
        Parallelism.MaxDegreeOfParallelism = Threads;
        _model = DenseBenchmarkData.Model();
        (Tensor rows, _) = DenseBenchmarkData.Images(2, seed: 4);
        _callers = [new Caller(this, rows.Slice(0, 1).Clone()), new Caller(this, rows.Slice(1, 1).Clone())];

        // Both threads predict at once so that the model has the copy of its layers the second caller needs.
        RunOnCallers(2, Calls / 2, takeTurns: false);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (Caller caller in _callers)
        {
            caller.Stop();
        }

        Parallelism.MaxDegreeOfParallelism = _savedThreads;
    }

    [Benchmark(Baseline = true)]
    public void OneThread() => RunOnCallers(1, Calls, takeTurns: false);

    /// <summary>One thread again, BenchmarkDotNet's own: what handing the work to a caller thread costs.</summary>
    [Benchmark]
    public void OneThreadOnTheBenchmarkThread()
    {
        Caller caller = _callers[0];
        for (int i = 0; i < Calls; i++)
        {
            _model.Predict(caller.Row, caller.Destination);
        }
    }

    [Benchmark]
    public void TwoThreadsSideBySide() => RunOnCallers(2, Calls / 2, takeTurns: false);

    [Benchmark]
    public void TwoThreadsTakingTurns() => RunOnCallers(2, Calls / 2, takeTurns: true);

    private void RunOnCallers(int callers, int callsEach, bool takeTurns)
    {
        using var done = new CountdownEvent(callers);
        for (int c = 0; c < callers; c++)
        {
            _callers[c].Start(callsEach, takeTurns, done);
        }

        done.Wait();
    }

    // A thread of its own that predicts one row into its own destination when told to.
    private sealed class Caller
    {
        private readonly ConcurrentPredictBenchmarks _owner;
        private readonly Tensor _row;
        private readonly SemaphoreSlim _go = new(0);
        private readonly Thread _thread;
        private int _calls;
        private bool _takeTurns;
        private CountdownEvent? _done;
        private volatile bool _stopping;

        public Caller(ConcurrentPredictBenchmarks owner, Tensor row)
        {
            _owner = owner;
            _row = row;
            Destination = new Tensor(1, 10);
            _thread = new Thread(Loop) { IsBackground = true, Name = "predicting caller" };
            _thread.Start();
        }

        public Tensor Row => _row;

        public Tensor Destination { get; }

        public void Start(int calls, bool takeTurns, CountdownEvent done)
        {
            (_calls, _takeTurns, _done) = (calls, takeTurns, done);
            _go.Release();
        }

        public void Stop()
        {
            _stopping = true;
            _go.Release();
            _thread.Join();
        }

        private void Loop()
        {
            while (true)
            {
                _go.Wait();
                if (_stopping)
                {
                    return;
                }

                for (int i = 0; i < _calls; i++)
                {
                    if (_takeTurns)
                    {
                        lock (_owner._turns)
                        {
                            _owner._model.Predict(_row, Destination);
                        }
                    }
                    else
                    {
                        _owner._model.Predict(_row, Destination);
                    }
                }

                _done!.Signal();
            }
        }
    }
}
#endif
