using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;

namespace NeuralNet.Benchmarks;

/// <summary>
/// LoRA (rank 4) against the same models without it, in one run: a training step and a prediction of 784-512-10 at batch
/// 128 with LoRA on the hidden Dense, and a training step of Embedding(100000, 64) -> Flatten -> Dense(10) on 32 samples
/// of 10 ids with LoRA on the embedding. The low-rank form adds rank-sized products to the plain layer's work; merging
/// (the commit before it) added a (784, 512) merge and a full dW per Dense step, and two (100000, 64) tables per
/// Embedding step. Each model is its own category, whose baseline is the same model without LoRA.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class LoraBenchmarks
{
    private Sequential _plainDense = null!, _dense = null!, _plainEmbedding = null!, _embedding = null!;
    private Tensor _x = null!, _y = null!, _ids = null!, _targets = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_x, _y) = DenseBenchmarkData.Images(128, seed: 2);
        _ids = Tensor.FromArray([.. Enumerable.Range(0, 320).Select(i => (float)((i * 7919L) % 100_000))], 32, 10);
        _targets = Tensor.RandomNormal(new TensorShape(32, 10), 4);
        _plainDense = DenseModel(lora: false);
        _dense = DenseModel(lora: true);
        _plainEmbedding = EmbeddingModel(lora: false);
        _embedding = EmbeddingModel(lora: true);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("DenseTrainStep")]
    public float DenseTrainStepWithoutLora() => _plainDense.TrainStep(_x, _y);

    [Benchmark]
    [BenchmarkCategory("DenseTrainStep")]
    public float DenseTrainStep() => _dense.TrainStep(_x, _y);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("DensePredict")]
    public Tensor DensePredictWithoutLora() => _plainDense.PredictOnBatch(_x);

    [Benchmark]
    [BenchmarkCategory("DensePredict")]
    public Tensor DensePredict() => _dense.PredictOnBatch(_x);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("EmbeddingTrainStep")]
    public float EmbeddingTrainStepWithoutLora() => _plainEmbedding.TrainStep(_ids, _targets);

    [Benchmark]
    [BenchmarkCategory("EmbeddingTrainStep")]
    public float EmbeddingTrainStep() => _embedding.TrainStep(_ids, _targets);

    private Sequential DenseModel(bool lora)
    {
        var model = new Sequential([new InputLayer(784), new Dense(512, ActivationFunction.Relu, name: "hidden"), new Dense(10, ActivationFunction.Softmax, name: "head")], seed: 1);
        model.Compile(new Adam(), new CategoricalCrossEntropy());
        if (lora)
        {
            ((Dense)model.GetLayer("hidden")).EnableLora(4);
        }

        model.TrainStep(_x, _y);
        return model;
    }

    private Sequential EmbeddingModel(bool lora)
    {
        var model = new Sequential([new InputLayer(10), new Embedding(100_000, 64, name: "tokens"), new Flatten(), new Dense(10, name: "head")], seed: 3);
        model.Compile(new Adam(), new MeanSquaredError());
        if (lora)
        {
            ((Embedding)model.GetLayer("tokens")).EnableLora(4);
        }

        model.TrainStep(_ids, _targets);
        return model;
    }
}
