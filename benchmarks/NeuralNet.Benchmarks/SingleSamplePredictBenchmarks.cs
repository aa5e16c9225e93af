using BenchmarkDotNet.Attributes;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>
/// Predict of one (1, 784) row with the 784-512-10 MLP: the call an app makes to serve one prediction. Through public
/// API only, so it builds against an earlier commit (see <see cref="PreviousCommitConfig"/>).
/// </summary>
[Config(typeof(PreviousCommitConfig))]
public class SingleSamplePredictBenchmarks
{
    private Sequential _model = null!;
    private Tensor _row = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = DenseBenchmarkData.Model();
        (Tensor x, _) = DenseBenchmarkData.Images(1, seed: 4);
        _row = x;
        _model.Predict(_row);
    }

    [Benchmark]
    public int PredictOneRow() => _model.Predict(_row).Length;
}
