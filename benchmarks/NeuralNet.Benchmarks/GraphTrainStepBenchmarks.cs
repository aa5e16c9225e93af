#if !NEURALNET_BASELINE
using BenchmarkDotNet.Attributes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;

namespace NeuralNet.Benchmarks;

/// <summary>
/// Training steps of functional models (batch 128, Adam), to show that a graph with a residual Add, or with two inputs, a
/// shared encoder and two outputs, allocates nothing per step once warm (MemoryDiagnoser), as a chain does.
/// </summary>
[MemoryDiagnoser]
public class GraphTrainStepBenchmarks
{
    private Model _residual = null!;
    private Tensor[] _residualBatch = null!;
    private Model _pairs = null!;
    private Tensor[] _pairsBatch = null!;

    /// <summary>The residual CNN of samples/Functional: a strided convolution and two Conv2D-BatchNormalization-Add blocks.</summary>
    public static Functional ResidualCnn()
    {
        var image = new Input(new TensorShape(28, 28, 1), name: "image");
        SymbolicTensor x = new Conv2D(32, 3, activation: ActivationFunction.Relu).Call(image);
        x = new MaxPooling2D(2).Call(x);
        x = Block(x, 32);
        x = new Conv2D(64, 3, strides: 2, padding: Padding.Same, activation: ActivationFunction.Relu).Call(x);
        x = Block(x, 64);
        SymbolicTensor digit = new Dense(10, ActivationFunction.Softmax).Call(new Dropout(0.3).Call(new Flatten().Call(x)));
        var model = new Functional(image, digit, seed: 1);
        model.Compile(new Adam(), new CategoricalCrossEntropy());
        return model;

        static SymbolicTensor Block(SymbolicTensor x, int filters)
        {
            SymbolicTensor y = new Conv2D(filters, 3, padding: Padding.Same, useBias: false).Call(x);
            y = new Activation(ActivationFunction.Relu).Call(new BatchNormalization().Call(y));
            y = new BatchNormalization().Call(new Conv2D(filters, 3, padding: Padding.Same, useBias: false).Call(y));
            return new Activation(ActivationFunction.Relu).Call(new Add().Call(x, y));
        }
    }

    /// <summary>The two-input model of samples/Functional: a shared encoder, Subtract, Multiply, Concatenate, two outputs.</summary>
    public static Functional Pairs()
    {
        var left = new Input(new TensorShape(784), "left");
        var right = new Input(new TensorShape(784), "right");
        var hidden = new Dense(128, ActivationFunction.Relu);
        var code = new Dense(64, ActivationFunction.Relu);
        SymbolicTensor a = code.Call(hidden.Call(left)), b = code.Call(hidden.Call(right));
        SymbolicTensor pair = new Dense(32, ActivationFunction.Relu).Call(new Concatenate().Call(new Subtract().Call(a, b), new Multiply().Call(a, b)));
        var model = new Functional([left, right], [new Dense(1, ActivationFunction.Sigmoid, name: "same").Call(pair), new Dense(10, ActivationFunction.Softmax, name: "digit").Call(a)], seed: 2);
        model.Compile(new Adam(), [new BinaryCrossEntropy(), new CategoricalCrossEntropy()]);
        return model;
    }

    [GlobalSetup]
    public void Setup()
    {
        _residual = ResidualCnn();
        (Tensor x, Tensor y) = ConvTrainStepBenchmarks.Batch(128, seed: 3);
        _residualBatch = [x, y];
        _pairs = Pairs();
        (Tensor left, Tensor digits) = DenseBenchmarkData.Images(128, seed: 4);
        (Tensor right, _) = DenseBenchmarkData.Images(128, seed: 5);
        Tensor same = Tensor.RandomUniform(new TensorShape(128, 1), 6);
        _pairsBatch = [left, right, same, digits];
        for (int i = 0; i < 3; i++)
        {
            _residual.TrainStep(_residualBatch);
            _pairs.TrainStep(_pairsBatch);
        }
    }

    [Benchmark]
    public float ResidualCnnStep() => _residual.TrainStep(_residualBatch);

    [Benchmark]
    public float TwoInputStep() => _pairs.TrainStep(_pairsBatch);
}
#endif
