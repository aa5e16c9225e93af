using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Benchmarks;

/// <summary>
/// Conv2D's patch-matrix budget (<c>Conv2D.ColumnsBudgetBytes</c>, 64 MiB) swept over 16, 64 and 256 MiB in one run, on
/// the default thread count (docs/performance.md, "Conv2D's patch-matrix budget"):
/// <list type="bullet">
/// <item><c>CGan</c>: <c>Conv2D(1, 7, padding: same, sigmoid)</c> on (28, 28, 128) at batch 64, keras.io's conditional GAN
/// generator's last layer (a 1.26 GB patch matrix: past every budget of the sweep; the chunk is the budget's size).</item>
/// <item><c>Cnn</c>: the E4.3 CNN's training step at batch 128, whose second convolution's matrix (17.8 MB) passes 16 MiB
/// and is kept at 64 and 256 MiB.</item>
/// </list>
/// <c>Step</c> is a steady-state step; <c>FirstStep</c> builds a new layer or model and runs its first step (the memory
/// column). Run alone: <c>dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*ConvBudgetSweep*'</c>
/// (12 cases in the benchmark process, a short job).
/// </summary>
[Config(typeof(SweepConfig))]
public class ConvBudgetSweepBenchmarks
{
    /// <summary>
    /// One short job in the benchmark process itself (one launch, one warm-up, five iterations of one step each: the steps
    /// take 0.1-1 s), with the memory column. In-process because the job's generated project was the problem: in session
    /// 44 its build passed BenchmarkDotNet's default two minutes on the loaded VM and the sweep never ran; here nothing is
    /// built after <c>dotnet run</c>'s own build. The budget is a parameter of the layer, so one build serves every case.
    /// </summary>
    public sealed class SweepConfig : ManualConfig
    {
        /// <summary>Creates the configuration.</summary>
        public SweepConfig()
        {
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5)
                .WithInvocationCount(1).WithUnrollFactor(1));
            AddDiagnoser(MemoryDiagnoser.Default);
            AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max);
        }
    }

    private Conv2D _layer = null!;
    private Sequential _model = null!;
    private Tensor _input = null!;
    private Tensor _target = null!;

    /// <summary>Gets or sets the case: "CGan" or "Cnn".</summary>
    [Params("CGan", "Cnn")]
    public string Case { get; set; } = "CGan";

    /// <summary>Gets or sets the budget in MiB.</summary>
    [Params(16, 64, 256)]
    public int BudgetMiB { get; set; } = 64;

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
            _model = NewModel();
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
    public float FirstStep() => Case == "CGan" ? TrainLayer(NewLayer()) : NewModel().TrainStep(_input, _target);

    private Conv2D NewLayer()
    {
        var layer = new Conv2D(1, 7, padding: Padding.Same, activation: ActivationFunction.Sigmoid) { Seed = 3, ColumnsBudgetBytes = (long)BudgetMiB << 20 };
        layer.Build(new TensorShape(28, 28, 128));
        return layer;
    }

    private Sequential NewModel()
    {
        Sequential model = ConvTrainStepBenchmarks.Model();
        foreach (Conv2D conv in model.Layers.OfType<Conv2D>())
        {
            conv.ColumnsBudgetBytes = (long)BudgetMiB << 20;
        }

        return model;
    }

    private float TrainLayer(Conv2D layer)
    {
        layer.Forward(_input, training: true);
        return layer.Backward(_target)[0, 0, 0, 0];
    }
}
