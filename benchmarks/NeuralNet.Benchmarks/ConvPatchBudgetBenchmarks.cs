using BenchmarkDotNet.Attributes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>
/// Convolutions whose batch patch matrix passes Conv2D's budget (64 MiB), which training no longer keeps, against one
/// that stays within it, on the default thread count:
/// <list type="bullet">
/// <item><c>CGan</c>: <c>Conv2D(1, 7, padding: same, sigmoid)</c> on (28, 28, 128) at batch 64, the last layer of
/// keras.io's conditional GAN generator (a 50,176 x 6,272 patch matrix, 1.26 GB); the layer's training step (forward,
/// backward with the input gradient).</item>
/// <item><c>Cnn</c>: the E4.3 CNN's training step at batch 128 (<see cref="ConvTrainStepBenchmarks"/>), whose second
/// convolution's matrix (15,488 x 288, 17.8 MB) is kept as before: it must not slow.</item>
/// </list>
/// <c>Step</c> is a steady-state step; <c>FirstStep</c> builds a new layer or model and runs its first step, where the
/// buffers are allocated (the memory column). Against the previous commit in the same run (<see cref="PreviousCommitConfig"/>):
/// <c>NEURALNET_BASELINE=$(bash eng/build-baseline.sh HEAD~1) dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*ConvPatchBudget*'</c>.
/// </summary>
[Config(typeof(PreviousCommitConfig))]
public class ConvPatchBudgetBenchmarks
{
    private Conv2D _layer = null!;
    private Sequential _model = null!;
    private Tensor _input = null!;
    private Tensor _target = null!;

    /// <summary>Gets or sets the case: "CGan" or "Cnn".</summary>
    [Params("CGan", "Cnn")]
    public string Case { get; set; } = "CGan";

    [GlobalSetup]
    public void Setup()
    {
        if (Case == "CGan")
        {
            _input = Tensor.RandomUniform(new TensorShape(64, 28, 28, 128), 1, -1f, 1f);
            _target = Tensor.RandomNormal(new TensorShape(64, 28, 28, 1), 2, 0f, 0.01f);
            _layer = NewLayer();
        }
        else
        {
            (_input, _target) = ConvTrainStepBenchmarks.Batch(128, seed: 2);
            _model = ConvTrainStepBenchmarks.Model();
        }

        for (int i = 0; i < 2; i++)
        {
            Step();
        }
    }

    /// <summary>A steady-state training step.</summary>
    [Benchmark]
    public float Step() => Case == "CGan" ? TrainLayer(_layer) : _model.TrainStep(_input, _target);

    /// <summary>A new layer or model and its first training step.</summary>
    [Benchmark]
    public float FirstStep() => Case == "CGan" ? TrainLayer(NewLayer()) : ConvTrainStepBenchmarks.Model().TrainStep(_input, _target);

    private static Conv2D NewLayer()
    {
        var layer = new Conv2D(1, 7, padding: Padding.Same, activation: ActivationFunction.Sigmoid) { Seed = 3 };
        layer.Build(new TensorShape(28, 28, 128));
        return layer;
    }

    // A float: the baseline job's generated code cannot name NeuralNet types.
    private float TrainLayer(Conv2D layer)
    {
        layer.Forward(_input, training: true);
        return layer.Backward(_target)[0, 0, 0, 0];
    }
}
