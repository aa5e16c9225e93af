using BenchmarkDotNet.Attributes;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>
/// The measurements a change must not slow down, through public API only so that the same source builds against an
/// earlier commit (see <see cref="PreviousCommitConfig"/>): a 784-512-10 MLP epoch over 60,000 images, an E4.3 CNN
/// epoch over 12,800 images (100 steps of 128; the per-step cost is what an epoch multiplies), and Predict of 10,000
/// images at batch 32 and Evaluate of them at batch 1000 on the MLP. Benchmarks here return BCL types only:
/// BenchmarkDotNet's generated project sees the benchmark assembly but not the NeuralNet.dll a baseline build references.
/// </summary>
[Config(typeof(PreviousCommitConfig))]
public class RegressionBenchmarks
{
    private Sequential _mlp = null!;
    private Tensor _mlpX = null!;
    private Tensor _mlpY = null!;
    private Sequential _cnn = null!;
    private Tensor _cnnX = null!;
    private Tensor _cnnY = null!;
    private Tensor _predictX = null!;
    private Tensor _predictY = null!;

    [GlobalSetup]
    public void Setup()
    {
        _mlp = DenseBenchmarkData.Model();
        (_mlpX, _mlpY) = DenseBenchmarkData.Images(60_000, seed: 3);
        _cnn = ConvTrainStepBenchmarks.Model();
        (_cnnX, _cnnY) = ConvTrainStepBenchmarks.Batch(12_800, seed: 2);
        (_predictX, _predictY) = DenseBenchmarkData.Images(10_000, seed: 4);
    }

    [Benchmark]
    public int MlpEpoch() => _mlp.Fit(_mlpX, _mlpY, epochs: 1, batchSize: 128, verbose: 0, seed: 1).EpochCount;

    [Benchmark]
    public int CnnEpoch() => _cnn.Fit(_cnnX, _cnnY, epochs: 1, batchSize: 128, verbose: 0, seed: 1).EpochCount;

    [Benchmark]
    public int Predict10k() => _mlp.Predict(_predictX, 32).Length;

    // Keras' default evaluation batch is 32 too; 1000 is what the experiments use (run in passes of the inference rows).
    [Benchmark]
    public double Evaluate10k() => _mlp.Evaluate(_predictX, _predictY, batchSize: 1000, verbose: 0)["loss"];
}
