using BenchmarkDotNet.Attributes;
using NeuralNet.Kernels;
using NeuralNet.Layers;

namespace NeuralNet.Benchmarks;

/// <summary>
/// A steady-state training step (forward, backward with the input gradient) of <c>Conv1D(32, 3, padding: same)</c> on
/// (4000, 32) at batch 128, the speaker-recognition layer of <see cref="PatchBudgetLayerBenchmarks"/>: past the 64 MiB
/// budget, so each pass gathers (and the backward pass scatters) its 196.6 MB of patches a chunk at a time.
/// <c>LoopThreads</c> is <c>ConvParallel.DegreeOfParallelism</c>, the threads the gather and scatter may use (session 45);
/// 1 runs them on the calling thread as before, while the products keep the default thread count in both.
/// Run: <c>dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*Conv1DStep*'</c>.
/// </summary>
[Config(typeof(InProcessConfig))]
public class Conv1DStepBenchmarks
{
    private Conv1D _layer = null!;
    private Tensor _input = null!;
    private Tensor _upstream = null!;
    private int _previous;

    /// <summary>Gets or sets the threads of the gather and scatter loops.</summary>
    [Params(1, 2)]
    public int LoopThreads { get; set; } = 2;

    [GlobalSetup]
    public void Setup()
    {
        _previous = ConvParallel.DegreeOfParallelism;
        ConvParallel.DegreeOfParallelism = LoopThreads;
        _input = Tensor.RandomUniform(new TensorShape(128, 4000, 32), 1, -1f, 1f);
        _upstream = Tensor.RandomNormal(new TensorShape(128, 4000, 32), 2, 0f, 0.01f);
        _layer = new Conv1D(32, 3, padding: Padding.Same);
        _layer.Build(new TensorShape(4000, 32));
        for (int i = 0; i < 2; i++)
        {
            Step();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => ConvParallel.DegreeOfParallelism = _previous;

    /// <summary>A steady-state training step.</summary>
    [Benchmark]
    public float Step()
    {
        _layer.Forward(_input, training: true);
        return _layer.Backward(_upstream).AsReadOnlySpan()[0];
    }
}
