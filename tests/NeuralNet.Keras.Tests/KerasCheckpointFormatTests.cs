using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// ModelCheckpoint writing Keras' files through <see cref="KerasCheckpointFormat"/>, as Keras tutorials name them
/// (best_model.keras with save_best_only, model_checkpoint.weights.h5 with save_weights_only): what Fit wrote reloads
/// to the weights of the best epoch, not the last.
/// </summary>
public sealed class KerasCheckpointFormatTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("neuralnet-keras-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Fit_SaveBestOnlyToKerasArchive_ReloadsTheBestEpochsWeights()
    {
        string path = Path.Combine(_folder, "best_model.keras");
        var checkpoint = new ModelCheckpoint(path, monitor: "loss", saveBestOnly: true, format: KerasCheckpointFormat.Instance);
        (List<float[][]> weights, int best) = FitWithASpike(NewModel(seed: 1), checkpoint);

        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(best, checkpoint.LastSavedEpoch);
        Assert.Equal(weights[best], Weights(loaded));
        Assert.NotEqual(weights[^1], Weights(loaded));
        Assert.True(loaded.IsCompiled, "a .keras checkpoint keeps the compile configuration, as Keras' model.save does");
    }

    [Fact]
    public void Fit_SaveWeightsOnlyToWeightsH5_ReloadsTheBestEpochsWeights()
    {
        string path = Path.Combine(_folder, "checkpoints", "model_checkpoint.weights.h5");
        var checkpoint = new ModelCheckpoint(path, monitor: "loss", saveBestOnly: true, saveWeightsOnly: true, format: KerasCheckpointFormat.Instance);
        (List<float[][]> weights, int best) = FitWithASpike(NewModel(seed: 2), checkpoint);

        Sequential other = NewModel(seed: 99);
        KerasFormat.LoadWeights(other, path);

        Assert.Equal(weights[best], Weights(other));
        Assert.NotEqual(weights[^1], Weights(other));
    }

    [Theory]
    [InlineData("m.safetensors", false)]
    [InlineData("m.weights.h5", false)]
    [InlineData("m.keras", true)]
    [InlineData("m.h5", true)]
    public void Constructor_PathNotOfKerasKind_IsRefusedNamingTheExtension(string name, bool weightsOnly)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ModelCheckpoint(Path.Combine(_folder, name), saveWeightsOnly: weightsOnly, format: KerasCheckpointFormat.Instance));

        Assert.Equal("path", ex.ParamName);
        Assert.Contains(weightsOnly ? "must end in .weights.h5" : "must end in .keras", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    [Fact]
    public void Fit_ModelKerasCannotWrite_IsRefusedBeforeTheFirstStep()
    {
        // Keras has no layer for a multiplication by a number in a Sequential (it is an operation in a functional model):
        // SaveModel refuses the model, so the checkpoint must refuse it before training, not after the first epoch.
        var model = new Sequential([new InputLayer(4), new Dense(3), new ScalarArithmetic(ArithmeticOperator.Multiply, 2f, name: "double")], seed: 3);
        model.Compile(new Sgd(0.05f), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(20, 4), 7);
        Tensor y = Tensor.RandomNormal(new TensorShape(20, 3), 8);
        float[][] before = Weights(model);
        Assert.Equal(2, before.Length);
        string path = Path.Combine(_folder, "best_model.keras");

        var error = Assert.Throws<NotSupportedException>(() => model.Fit(x, y, epochs: 2, batchSize: 10, verbose: 0,
            callbacks: [new ModelCheckpoint(path, monitor: "loss", format: KerasCheckpointFormat.Instance)]));

        Assert.Contains("Layer 'double' (ScalarArithmetic)", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Optimizer!.Iterations);
        Assert.Equal(before, Weights(model));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));

        // Its weights have a Keras layout, so a weights-only checkpoint of the same model trains and saves.
        string weightsPath = Path.Combine(_folder, "model.weights.h5");
        model.Fit(x, y, epochs: 1, batchSize: 10, verbose: 0, callbacks: [new ModelCheckpoint(weightsPath, saveWeightsOnly: true, format: KerasCheckpointFormat.Instance)]);
        Assert.True(File.Exists(weightsPath));
    }

    // Trains 4 epochs with a learning-rate spike in the third, so that the best epoch by loss is not the last; returns the
    // weights after every epoch and the best epoch.
    private static (List<float[][]> Weights, int Best) FitWithASpike(Sequential model, ModelCheckpoint checkpoint)
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(40, 4), 5);
        Tensor y = Tensor.RandomNormal(new TensorShape(40, 3), 6);
        var weights = new List<float[][]>();
        var losses = new List<double>();
        var spike = new LambdaCallback(onEpochBegin: (epoch, _) => model.Optimizer!.LearningRate = epoch >= 2 ? 10f : 0.05f);
        var recorder = new LambdaCallback(onEpochEnd: (_, logs) =>
        {
            losses.Add(logs["loss"]);
            weights.Add(Weights(model));
        });

        model.Fit(x, y, epochs: 4, batchSize: 10, callbacks: [spike, checkpoint, recorder], verbose: 0);

        int best = losses.IndexOf(losses.Where(l => !double.IsNaN(l)).Min());
        Assert.True(best < losses.Count - 1, $"the spike should make the last epoch worse than the best; losses: {string.Join(", ", losses)}");
        return (weights, best);
    }

    private static Sequential NewModel(int seed)
    {
        var model = new Sequential([new InputLayer(4), new Dense(6, ActivationFunction.Tanh), new Dense(3)], seed: seed);
        model.Compile(new Sgd(0.05f), new MeanSquaredError());
        return model;
    }

    private static float[][] Weights(Model model) => [.. model.GetWeights().Select(w => w.ToArray())];
}
