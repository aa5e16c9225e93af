using BenchmarkDotNet.Attributes;

namespace NeuralNet.Benchmarks;

/// <summary>Tensor element-wise addition (TensorPrimitives, SIMD) against a plain scalar loop, same data.</summary>
[MemoryDiagnoser]
public class ElementWiseBenchmarks
{
    private Tensor _x = null!;
    private Tensor _y = null!;
    private Tensor _destination = null!;

    [Params(1_000, 100_000)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = Tensor.RandomNormal(new TensorShape(Length), seed: 1);
        _y = Tensor.RandomNormal(new TensorShape(Length), seed: 2);
        _destination = new Tensor(Length);
    }

    [Benchmark(Baseline = true)]
    public void ScalarLoop()
    {
        ReadOnlySpan<float> x = _x.AsReadOnlySpan(), y = _y.AsReadOnlySpan();
        Span<float> d = _destination.AsSpan();
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = x[i] + y[i];
        }
    }

    [Benchmark]
    public void TensorAdd() => Tensor.Add(_x, _y, _destination);
}
