using BenchmarkDotNet.Attributes;
using NeuralNet.Activations;

namespace NeuralNet.Benchmarks;

/// <summary>
/// GELU forward then backward over a ConvMixer-sized activation (batch 64 of (16, 16, 256): 4M values), exact (erf)
/// and tanh forms. Public API only (<see cref="ActivationFunction.Forward"/> and <see cref="ActivationFunction.Backward"/>),
/// so that the same source builds against an earlier commit (<see cref="PreviousCommitConfig"/>); returns a BCL type.
/// </summary>
[Config(typeof(PreviousCommitConfig))]
public class GeluBenchmarks
{
    private const int Length = 64 * 16 * 16 * 256;
    private float[] _x = null!;
    private float[] _y = null!;
    private float[] _gradient = null!;
    private float[] _inputGradient = null!;
    private Gelu _gelu = null!;

    [Params(false, true)]
    public bool Approximate { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = Tensor.RandomNormal(new TensorShape(Length), seed: 1).AsReadOnlySpan().ToArray();
        _gradient = Tensor.RandomNormal(new TensorShape(Length), seed: 2).AsReadOnlySpan().ToArray();
        _y = new float[Length];
        _inputGradient = new float[Length];
        _gelu = new Gelu(Approximate);
    }

    [Benchmark]
    public float ForwardBackward()
    {
        _gelu.Forward(_x, _y, 256);
        _gelu.Backward(_x, _y, _gradient, _inputGradient, 256);
        return _y[0] + _inputGradient[0];
    }
}
