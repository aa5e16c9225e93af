using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.Layers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

/// <summary>
/// Keras' <c>model.compile(optimizer="adam")</c> then <c>model.fit(x)</c> / <c>model.evaluate(x)</c> when the losses come
/// from <c>add_loss</c>: Keras 3's compute_loss sums <c>model.losses</c> when no loss was compiled, and raises "No loss to
/// compute. Provide a `loss` argument in `compile()`." when there is none at all.
/// </summary>
public class CompileWithoutLossTests
{
    // x = [[1, 2], [3, -1]] through an identity Dense: the SquaresLoss(0.5) term is 0.5 * (1 + 4 + 9 + 1) / 2 = 3.75.
    private const double Added = 3.75;

    [Fact]
    public void AddLossOnly_EvaluateAndBatchCallsWithoutTargets_GiveTheHandComputedTerm()
    {
        Sequential model = IdentityModel();
        Tensor x = Tensor.FromArray([1f, 2f, 3f, -1f], 2, 2);

        IReadOnlyDictionary<string, double> evaluated = model.Evaluate(x, batchSize: 2, verbose: 0);
        Assert.Equal(["loss"], evaluated.Keys);
        Assert.Equal(Added, evaluated["loss"], 6);
        Assert.Equal(Added, model.TestOnBatch(x)["loss"], 6);
        Assert.Equal(Added, model.ComputeGradients(x), 6);

        // d(0.5 * sum(y²) / 2)/dkernel = x^T y / 2 with y = x: [[5, -0.5], [-0.5, 2.5]], and d/dbias = sum over rows of y / 2.
        Dense dense = model.Layers.OfType<Dense>().Single();
        Assert.Equal([5f, -0.5f, -0.5f, 2.5f], dense.Kernel.Gradient.ToArray());
        Assert.Equal([2f, 0.5f], dense.Bias!.Gradient.ToArray());
    }

    [Fact]
    public void AddLossOnly_FitWithoutTargets_LowersTheLoss_WithTheBitsOfAZeroWeightedLoss()
    {
        // The explicit path: the same model with an MSE output loss of weight 0, which adds 0 to the loss and zeros to the
        // output gradient; the weights and losses must be the same bits.
        Tensor x = GradientChecking.TestData.Normal(7, 1f, 24, 4);
        Functional lossFree = SquaresModel(seed: 11);
        lossFree.Compile(new Adam(0.05));
        History history = lossFree.Fit(x, epochs: 6, batchSize: 8, seed: 5, verbose: 0);

        Functional explicitPath = SquaresModel(seed: 11);
        explicitPath.Compile(new Adam(0.05), [new MeanSquaredError()], [0f]);
        History reference = explicitPath.Fit(x, new Tensor(24, 3), epochs: 6, batchSize: 8, seed: 5, verbose: 0);

        Assert.Equal(["loss"], history.Keys);
        IReadOnlyList<double> loss = history["loss"];
        Assert.True(loss[^1] < 0.5 * loss[0], $"loss {loss[0]} -> {loss[^1]}");
        Assert.Equal(reference["loss"], loss);
        Assert.Equal(Bits(explicitPath), Bits(lossFree));
    }

    [Fact]
    public void NoCompiledLoss_FitWithTargets_IgnoresThem_AsKeras()
    {
        Tensor x = GradientChecking.TestData.Normal(8, 1f, 16, 4);
        Functional withoutTargets = SquaresModel(seed: 12);
        withoutTargets.Compile("sgd");
        withoutTargets.Fit(x, epochs: 2, batchSize: 4, seed: 6, verbose: 0);

        Functional withTargets = SquaresModel(seed: 12);
        withTargets.Compile("sgd");
        History history = withTargets.Fit(x, GradientChecking.TestData.Normal(9, 1f, 16, 3), epochs: 2, batchSize: 4, seed: 6, verbose: 0);

        Assert.Equal(["loss"], history.Keys);
        Assert.Equal(Bits(withoutTargets), Bits(withTargets));
    }

    [Fact]
    public void NoCompiledLoss_MetricOnTargets_ComputedWhenTargetsAreGiven()
    {
        // Keras' compile(optimizer, metrics=["mae"]) without a loss: fit(x, y) logs loss (the added term) and mae.
        Sequential model = IdentityModel(new[] { (Loss?)null }, [[new MeanAbsoluteErrorMetric()]]);
        Tensor x = Tensor.FromArray([1f, 2f, 3f, -1f], 2, 2);
        IReadOnlyDictionary<string, double> logs = model.Evaluate(x, Tensor.Zeros(2, 2), verbose: 0);
        Assert.Equal(Added, logs["loss"], 6);
        Assert.Equal(7.0 / 4, logs["mean_absolute_error"], 6);
    }

    [Fact]
    public void NoTargets_LossOrMetricThatReadsThem_IsRefusedNamingIt()
    {
        Tensor x = Tensor.FromArray([1f, 2f, 3f, -1f], 2, 2);
        Sequential withLoss = IdentityModel([new MeanSquaredError()], null);
        var loss = Assert.Throws<ArgumentException>(() => withLoss.Fit(x, verbose: 0));
        Assert.Equal("y", loss.ParamName);
        Assert.Contains("Fit was given no y, but the loss mean_squared_error (MeanSquaredError) of output 'squares_loss'", loss.Message, StringComparison.Ordinal);

        Sequential withMetric = IdentityModel([null], [[new MeanAbsoluteErrorMetric()]]);
        var metric = Assert.Throws<ArgumentException>(() => withMetric.Evaluate(x, verbose: 0));
        Assert.Contains("Evaluate was given no y, but the metric 'mean_absolute_error' (MeanAbsoluteErrorMetric)", metric.Message, StringComparison.Ordinal);

        Sequential lossFree = IdentityModel();
        var weights = Assert.Throws<ArgumentException>(() => lossFree.Fit(x, sampleWeight: Tensor.Ones(2), verbose: 0));
        Assert.Equal("sampleWeight", weights.ParamName);
        Assert.Contains("no y", weights.Message, StringComparison.Ordinal);
        Assert.Equal(0, lossFree.Optimizer!.Iterations);
    }

    [Fact]
    public void NoLossAtAll_IsRefusedAsKeras_BeforeAnythingChanges()
    {
        // No compiled loss, no AddLoss, no regularizer: Keras raises "No loss to compute". The check runs an inference
        // pass, so the refused training step leaves the batch-normalization statistics and the weights as they were.
        var model = new Sequential([new InputLayer(3), new Dense(2), new BatchNormalization()], seed: 2);
        model.Compile(new Sgd(0.1));
        Tensor x = GradientChecking.TestData.Normal(3, 2f, 8, 3);
        float[] before = [.. model.GetWeights().SelectMany(t => t.ToArray())];

        var fit = Assert.Throws<InvalidOperationException>(() => model.Fit(x, epochs: 1, verbose: 0));
        Assert.Contains("No loss to compute: model 'sequential' was compiled without a loss", fit.Message, StringComparison.Ordinal);
        Assert.Contains("Provide a `loss` argument in `compile()`", fit.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.GetWeights().SelectMany(t => t.ToArray()));
        Assert.Equal(0, model.Optimizer!.Iterations);

        Assert.Throws<InvalidOperationException>(() => model.Evaluate(x, verbose: 0));
        Assert.Throws<InvalidOperationException>(() => model.TrainOnBatch(x));
        Assert.Equal(before, model.GetWeights().SelectMany(t => t.ToArray()));
    }

    [Fact]
    public void NoCompiledLoss_WeightPenaltyAlone_IsALoss()
    {
        // Keras' model.losses holds the weights' regularization losses: with an L2 kernel regularizer there is a loss.
        var model = new Sequential([new InputLayer(3), new Dense(2, kernelRegularizer: new NeuralNet.Regularizers.L2(0.1))], seed: 3);
        model.Compile(new Sgd(0.1));
        Tensor x = GradientChecking.TestData.Normal(4, 1f, 8, 3);
        History history = model.Fit(x, epochs: 3, batchSize: 8, verbose: 0);
        Assert.True(history["loss"][2] < history["loss"][0]);
    }

    [Fact]
    public void AddLossOnly_TrainingStep_AllocatesNothingAfterTheFirstBatch()
    {
        Functional model = SquaresModel(seed: 21);
        model.Compile(new Adam());
        ModelData x = GradientChecking.TestData.Normal(22, 1f, 16, 4);
        model.TrainOnBatch(x);
        model.TrainOnBatch(x);
        long steps = model.Optimizer!.Iterations;
        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                model.TrainOnBatch(x);
            }
        });

        Assert.True(model.Optimizer.Iterations >= steps + 5);
    }

    [Fact]
    public void NoCompiledLoss_SavedAndLoaded_StaysWithoutLoss_AsKerasWritesIt()
    {
        // A weight penalty as the loss (SquaresLoss is a test layer, not registered for saving).
        var model = new Sequential([new InputLayer(4), new Dense(3, kernelRegularizer: new NeuralNet.Regularizers.L2(0.1))], seed: 31);
        model.Compile("adam");
        Assert.Contains("\"loss\":null", model.GetCompileConfig(), StringComparison.Ordinal);

        string path = Path.Combine(Path.GetTempPath(), $"lossfree-{Guid.NewGuid():N}.safetensors");
        Model loaded;
        try
        {
            model.Save(path);
            loaded = Model.Load(path);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.True(loaded.IsCompiled);
        Assert.Equal([null], loaded.Losses);
        Tensor x = GradientChecking.TestData.Normal(32, 1f, 8, 4);
        Assert.Equal(model.Evaluate(x, verbose: 0)["loss"], loaded.Evaluate(x, verbose: 0)["loss"]);
    }

    private static Sequential IdentityModel(Loss?[]? losses = null, IReadOnlyList<IReadOnlyList<Metric>>? metrics = null)
    {
        var model = new Sequential([new InputLayer(2), new Dense(2), new SquaresLoss(0.5f)]);
        if (losses is null)
        {
            model.Compile(new Sgd(0.0));
        }
        else
        {
            model.Compile(new Sgd(0.0), losses, metrics: metrics);
        }

        model.SetWeights([Tensor.FromArray([1f, 0f, 0f, 1f], 2, 2), Tensor.Zeros(2)]);
        return model;
    }

    // x (4) -> Dense(3) -> SquaresLoss(0.5): training pulls the Dense outputs to 0.
    private static Functional SquaresModel(long seed)
    {
        var input = new Input(new TensorShape(4));
        SymbolicTensor y = new SquaresLoss(0.5f).Call(new Dense(3).Call(input));
        return new Functional(input, y, seed: seed);
    }

    private static float[] Bits(Model model) => [.. model.GetWeights().SelectMany(t => t.ToArray())];
}
