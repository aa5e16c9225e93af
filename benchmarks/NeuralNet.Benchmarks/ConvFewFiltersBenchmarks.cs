using BenchmarkDotNet.Attributes;
using NeuralNet.Activations;
using NeuralNet.Layers;

namespace NeuralNet.Benchmarks;

/// <summary>
/// Convolutions with few filters, which neither the direct small-patch kernel (filter vectors) nor a full GEMM tile
/// suits, on one thread, the layer's training step (forward, then backward with the input gradient) and its forward pass
/// alone:
/// <list type="bullet">
/// <item><c>Generator</c>: <c>Conv2D(1, 5, padding: same)</c> on (16, 16, 32) at batch 64, a generator's or an
/// autoencoder's last layer (26.2 MFLOP forward). It no longer runs the few-filter kernel (1 filter, 32 channels: see
/// <c>ConvFewFilters.Supports</c>); it records the cutoff, im2col + GEMM both ways.</item>
/// <item><c>Siamese</c>: <c>Conv2D(4, 5, tanh)</c> on (28, 28, 1) at batch 128, the Siamese-network tutorial's first
/// convolution (after a BatchNormalization, so it passes a gradient back; 14.7 MFLOP forward).</item>
/// </list>
/// Against the previous commit in the same run (<see cref="PreviousCommitConfig"/>):
/// <c>NEURALNET_BASELINE=$(bash eng/build-baseline.sh HEAD~1) dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*ConvFewFilters*'</c>.
/// </summary>
[Config(typeof(PreviousCommitConfig))]
public class ConvFewFiltersBenchmarks
{
    private Conv2D _layer = null!;
    private Tensor _input = null!;
    private Tensor _outputGradient = null!;
    private int _savedThreads;

    /// <summary>Gets or sets the layer under test: "Generator" or "Siamese".</summary>
    [Params("Generator", "Siamese")]
    public string Case { get; set; } = "Generator";

    [GlobalSetup]
    public void Setup()
    {
        _savedThreads = Parallelism.MaxDegreeOfParallelism;
        Parallelism.MaxDegreeOfParallelism = 1;
        (int batch, int size, int channels) = Case == "Generator" ? (64, 16, 32) : (128, 28, 1);
        _layer = Case == "Generator" ? new Conv2D(1, 5, padding: Padding.Same) : new Conv2D(4, 5, activation: ActivationFunction.Tanh);
        _layer.Build(new TensorShape(size, size, channels));
        _input = Tensor.RandomUniform(new TensorShape(batch, size, size, channels), 1, 0f, 1f);
        _outputGradient = Tensor.RandomNormal(_layer.OutputShape.Prepend(batch), 2, 0f, 0.01f);
        for (int i = 0; i < 3; i++)
        {
            TrainStep();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Parallelism.MaxDegreeOfParallelism = _savedThreads;

    /// <summary>Forward in training mode, then backward: kernel, bias and input gradients.</summary>
    [Benchmark]
    public int TrainStep()
    {
        _layer.Forward(_input, training: true);
        return _layer.Backward(_outputGradient).Length; // an int: the baseline job's generated code cannot name NeuralNet types
    }

    /// <summary>The inference forward pass (Predict's).</summary>
    [Benchmark]
    public int Forward() => _layer.Forward(_input, training: false).Length;
}
