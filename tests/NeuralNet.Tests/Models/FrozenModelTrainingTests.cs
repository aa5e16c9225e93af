using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Models;

// The classic Keras 2 GAN recipe: compile the discriminator, freeze it, build and compile the combined model, then train
// both. Trainable takes effect at once (as in Keras 3), so the discriminator's own steps would change nothing.
public class FrozenModelTrainingTests
{
    private static readonly Tensor s_x = Tensor.RandomUniform(new TensorShape(16, 4), seed: 1);
    private static readonly Tensor s_y = Tensor.RandomUniform(new TensorShape(16, 1), seed: 2);

    private static (Sequential Discriminator, Sequential Gan) GanRecipe()
    {
        var generator = new Sequential([new InputLayer(3), new Dense(4)], name: "generator", seed: 3);
        var discriminator = new Sequential([new InputLayer(4), new Dense(1, ActivationFunction.Sigmoid)], name: "discriminator", seed: 4);
        discriminator.Compile(new Adam(), new BinaryCrossEntropy());
        discriminator.Trainable = false;
        var gan = new Sequential(name: "gan");
        gan.Add(generator);
        gan.Add(discriminator);
        gan.Compile(new Adam(), new BinaryCrossEntropy());
        return (discriminator, gan);
    }

    [Fact]
    public void TrainOnBatch_EveryParameterFrozen_ThrowsNamingTheModelAndChangesNothing()
    {
        (Sequential discriminator, _) = GanRecipe();
        var e = Assert.Throws<InvalidOperationException>(() => discriminator.TrainOnBatch(s_x, s_y));

        Assert.Contains("TrainOnBatch on model 'discriminator', whose 5 parameters are all frozen (in layers with Trainable = false", e.Message, StringComparison.Ordinal);
        Assert.Contains("Set Trainable = true", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, discriminator.Optimizer!.StepCount);
    }

    [Fact]
    public void Fit_EveryParameterFrozen_Throws()
    {
        (Sequential discriminator, _) = GanRecipe();
        var e = Assert.Throws<InvalidOperationException>(() => discriminator.Fit(s_x, s_y, verbose: 0));
        Assert.StartsWith("Fit on model 'discriminator'", e.Message, StringComparison.Ordinal);
        Assert.Null(discriminator.History);
        Assert.Equal(0, discriminator.Optimizer!.StepCount);
    }

    [Fact]
    public void FitAndTrainOnBatch_UnbuiltFrozenModel_StaysUnbuilt()
    {
        var model = new Sequential([new Dense(3), new Dense(1)], name: "unbuilt") { Trainable = false };
        model.Compile(new Adam(), new MeanSquaredError());
        Assert.Throws<InvalidOperationException>(() => model.Fit(s_x, s_y, verbose: 0));
        Assert.False(model.IsBuilt);
        Assert.Throws<InvalidOperationException>(() => model.TrainOnBatch(s_x, s_y));
        Assert.False(model.IsBuilt);
    }

    [Fact]
    public void Fit_DataSource_EveryParameterFrozen_ThrowsBeforeAnyStep()
    {
        (Sequential discriminator, _) = GanRecipe();
        DataSource source = DataSource.FromBatches(Enumerable.Range(0, 2).Select(b => new DataBatch(s_x.Slice(b * 8, 8), s_y.Slice(b * 8, 8))));
        Assert.Throws<InvalidOperationException>(() => discriminator.Fit(source, verbose: 0));
        Assert.Null(discriminator.History);
        Assert.Equal(0, discriminator.Optimizer!.StepCount);
    }

    [Fact]
    public void Fit_OnlyStatisticsOfAnUnfrozenLayer_IsNotRefused()
    {
        // Recalibrating BatchNormalization's moving statistics on new data (AdaBN): no trainable weight, yet Fit updates them.
        var norm = new BatchNormalization(center: false, scale: false);
        var model = new Sequential([new InputLayer(4), new Dense(4) { Trainable = false }, norm], name: "adabn");
        model.Compile(new Sgd(0.1), new MeanSquaredError());
        float[] before = norm.MovingMean.Value.ToArray();
        model.Fit(s_x, Tensor.RandomUniform(new TensorShape(16, 4), seed: 7), verbose: 0);
        Assert.NotEqual(before, norm.MovingMean.Value.ToArray());
    }

    [Fact]
    public void GanRecipe_TogglingTrainable_TrainsEachModelInTurn()
    {
        (Sequential discriminator, Sequential gan) = GanRecipe();
        float[] frozen = discriminator.GetWeights().SelectMany(w => w.ToArray()).ToArray();
        gan.TrainOnBatch(Tensor.RandomUniform(new TensorShape(16, 3), seed: 5), s_y);
        Assert.Equal(frozen, discriminator.GetWeights().SelectMany(w => w.ToArray()).ToArray());

        discriminator.Trainable = true;
        discriminator.TrainOnBatch(s_x, s_y);
        Assert.NotEqual(frozen, discriminator.GetWeights().SelectMany(w => w.ToArray()).ToArray());
    }

    [Fact]
    public void Fit_ModelWithoutParameters_IsNotRefused()
    {
        var model = new Sequential([new InputLayer(4), new Activation(ActivationFunction.Sigmoid)], name: "plain");
        model.Compile(new Sgd(0.1), new MeanSquaredError());
        History history = model.Fit(s_x, Tensor.RandomUniform(new TensorShape(16, 4), seed: 6), verbose: 0);
        Assert.Single(history["loss"]);
    }
}
