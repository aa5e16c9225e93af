using BenchmarkDotNet.Attributes;
using NeuralNet.Layers;

namespace NeuralNet.Benchmarks;

/// <summary>
/// Convolutions other than Conv2D whose batch patch matrix passes the 64 MiB budget (session 44), on the default
/// thread count; one layer's training step (forward, backward with the input gradient):
/// <list type="bullet">
/// <item><c>CGanTranspose</c>: <c>Conv2DTranspose(128, 4, strides: 2, same)</c> (its LeakyReLU is a layer of its own) on (14, 14, 128) at batch
/// 64, the second upsampling layer of keras.io's conditional GAN generator: its backward pass's patch matrix of the
/// output gradient is 12,544 x 2,048 floats (102.8 MB).</item>
/// <item><c>Conv1D</c>: <c>Conv1D(32, 3, padding: same)</c> on (4000, 32) at batch 128, the last convolution of the second
/// residual block of keras.io's speaker-recognition 1-D convnet: a 512,000 x 96 patch matrix (196.6 MB), and as large a
/// patch-gradient matrix.</item>
/// </list>
/// <c>Step</c> is a steady-state step; <c>FirstStep</c> builds a new layer and runs its first step, where the buffers are
/// allocated (the memory column). Against the previous commit in the same run (<see cref="PreviousCommitConfig"/>):
/// <c>NEURALNET_BASELINE=$(bash eng/build-baseline.sh HEAD~1) dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*PatchBudgetLayer*'</c>.
/// </summary>
[Config(typeof(PreviousCommitConfig))]
public class PatchBudgetLayerBenchmarks
{
    private Layer _layer = null!;
    private Tensor _input = null!;
    private Tensor _upstream = null!;

    /// <summary>Gets or sets the case: "CGanTranspose" or "Conv1D".</summary>
    [Params("CGanTranspose", "Conv1D")]
    public string Case { get; set; } = "CGanTranspose";

    [GlobalSetup]
    public void Setup()
    {
        _input = Case == "CGanTranspose"
            ? Tensor.RandomUniform(new TensorShape(64, 14, 14, 128), 1, -1f, 1f)
            : Tensor.RandomUniform(new TensorShape(128, 4000, 32), 1, -1f, 1f);
        _layer = NewLayer();
        _upstream = Tensor.RandomNormal(new TensorShape([_input.Shape[0], .. _layer.OutputShape.Dimensions]), 2, 0f, 0.01f);
        for (int i = 0; i < 2; i++)
        {
            Step();
        }
    }

    /// <summary>A steady-state training step.</summary>
    [Benchmark]
    public float Step() => Train(_layer);

    /// <summary>A new layer and its first training step.</summary>
    [Benchmark]
    public float FirstStep() => Train(NewLayer());

    private Layer NewLayer()
    {
        Layer layer = Case == "CGanTranspose"
            ? new Conv2DTranspose(128, 4, strides: 2, padding: Padding.Same)
            : new Conv1D(32, 3, padding: Padding.Same);
        layer.Build(Case == "CGanTranspose" ? new TensorShape(14, 14, 128) : new TensorShape(4000, 32));
        return layer;
    }

    // A float: the baseline job's generated code cannot name NeuralNet types.
    private float Train(Layer layer)
    {
        layer.Forward(_input, training: true);
        return layer.Backward(_upstream).AsReadOnlySpan()[0];
    }
}
