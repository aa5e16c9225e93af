using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Initializers;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Plotting;
using NeuralNet.Regularizers;
using NeuralNet.Training;
using static NeuralNet.Experiments.Format;

namespace NeuralNet.Experiments;

/// <summary>000 — "MNIST from scratch": NumPy, scikit-learn and Keras on the same task.</summary>
internal static class Document0
{
    private const string Doc = "000 MNIST from scratch";

    public static IEnumerable<Experiment> All =>
    [
        new("E0.1", Doc, "NumPy MLP 784-128-10, SGD lr 0.1, batch 32, 10 epochs, 70k split 80/20", E01),
        new("E0.2", Doc, "scikit-learn MLPClassifier (128, 64), Adam lr 0.01, L2 1e-4, early stop on training loss", E02),
        new("E0.3", Doc, "Keras 784-128-Dropout-64-Dropout-10, Adam, 20 epochs, validation 20%", E03),
        new("E0.4", Doc, "10 random test images with each model's prediction", E04),
    ];

    // The 70,000 images pooled and split 80/20 at random, as the document does with train_test_split.
    private static MnistData Pooled(ExperimentContext ctx) => ctx.Mnist().Resplit(0.8, ctx.Seed);

    private static (TrainedRun Run, EvaluateAtEpochs Checks) TrainE01(ExperimentContext ctx) => ctx.Memo("E0.1", () =>
    {
        MnistData data = Pooled(ctx);
        int epochs = ctx.Epochs(10);
        var checks = new EvaluateAtEpochs(new Dictionary<string, LabeledDataset> { ["train"] = data.Train, ["test"] = data.Test }, 1, epochs);
        var model = ModelZoo.Mlp(ctx.Seed, [128], ActivationFunction.Relu, ModelZoo.ScaledNormal, (_, _) => new Zeros()).Compiled(new Sgd(0.1f));
        TrainedRun run = ctx.Fit(model, data.Train.Features, data.Train.OneHotLabels(), epochs, 32, callbacks: [checks]);
        return (run, checks);
    });

    private static IReadOnlyList<ResultRow> E01(ExperimentContext ctx)
    {
        (TrainedRun run, EvaluateAtEpochs checks) = TrainE01(ctx);
        int last = run.History.EpochCount;
        ctx.SaveHistory("E0.1", "history", run.History, "E0.1 NumPy-style MLP, SGD 0.1");
        return
        [
            new("E0.1", "epoch 1", "train 0.9491 / test 0.9457", $"train {F4(checks.Accuracy("train", 1)!.Value)} / test {F4(checks.Accuracy("test", 1)!.Value)}", 1, run.Seconds),
            new("E0.1", $"epoch {last}", "train 0.9938 / test 0.9763 (epoch 10)", $"train {F4(checks.Accuracy("train", last)!.Value)} / test {F4(checks.Accuracy("test", last)!.Value)}", last, run.Seconds,
                "Accuracies measured on the whole train and test sets after the epoch, as the document does."),
        ];
    }

    private static TrainedRun TrainE02(ExperimentContext ctx) => ctx.Memo("E0.2", () =>
    {
        MnistData data = Pooled(ctx);
        const int batch = 32;
        const double alpha = 1e-4;
        // scikit-learn adds alpha/2 * ||W||^2 / batch to the batch loss, on weights only, and initialises
        // weights and biases uniformly in +-sqrt(6 / (fan_in + fan_out)).
        var model = ModelZoo.Mlp(ctx.Seed, [128, 64], ActivationFunction.Relu,
            (i, o) => new GlorotUniform(),
            (i, o) => new RandomUniform(-Math.Sqrt(6.0 / (i + o)), Math.Sqrt(6.0 / (i + o))),
            kernelRegularizer: () => new L2(alpha / (2 * batch)))
            .Compiled(new Adam(0.01f, epsilon: 1e-8f));
        var stop = new EarlyStopping(monitor: "loss", minDelta: 1e-4, patience: 10);
        return ctx.Fit(model, data.Train.Features, data.Train.OneHotLabels(), ctx.Epochs(100), batch, callbacks: [stop]);
    });

    private static IReadOnlyList<ResultRow> E02(ExperimentContext ctx)
    {
        TrainedRun run = TrainE02(ctx);
        MnistData data = Pooled(ctx);
        ctx.SaveHistory("E0.2", "history", run.History, "E0.2 scikit-learn-style MLP (128, 64), Adam 0.01");
        double train = ExperimentContext.Accuracy(run.Model, data.Train), test = ExperimentContext.Accuracy(run.Model, data.Test);
        return
        [
            new("E0.2", "MLP (128, 64), stopped by tol 1e-4 / 10 epochs", "train 0.9847 / test 0.9649 (stopped after 48 epochs)",
                $"train {F4(train)} / test {F4(test)}", run.History.EpochCount, run.Seconds,
                "Early stopping as scikit-learn's: training loss not improving by 1e-4 for 10 epochs."),
        ];
    }

    private static TrainedRun TrainE03(ExperimentContext ctx) => ctx.Memo("E0.3", () =>
    {
        MnistData data = ctx.Mnist();
        var model = ModelZoo.Mlp(ctx.Seed, [128, 64], ActivationFunction.Relu, dropout: 0.2).Compiled(new Adam());
        return ctx.Fit(model, data.Train.Features, data.Train.OneHotLabels(), ctx.Epochs(20), 32, validationSplit: 0.2);
    });

    private static IReadOnlyList<ResultRow> E03(ExperimentContext ctx)
    {
        TrainedRun run = TrainE03(ctx);
        ctx.SaveHistory("E0.3", "history", run.History, "E0.3 Keras MLP with dropout, Adam");
        double test = ExperimentContext.Accuracy(run.Model, ctx.Mnist().Test);
        return
        [
            new("E0.3", "Keras MLP + dropout 0.2", "train 0.9970 / val 0.9796 / test 0.9802",
                $"train {F4(run.History["accuracy"][^1])} / val {F4(run.History["val_accuracy"][^1])} / test {F4(test)}", run.History.EpochCount, run.Seconds,
                "Train accuracy is Keras' running mean over the last epoch (with dropout active)."),
        ];
    }

    private static IReadOnlyList<ResultRow> E04(ExperimentContext ctx)
    {
        var models = new Dictionary<string, Sequential>
        {
            ["E0.1 NumPy MLP"] = TrainE01(ctx).Run.Model,
            ["E0.2 scikit-learn MLP"] = TrainE02(ctx).Model,
            ["E0.3 Keras MLP"] = TrainE03(ctx).Model,
        };
        LabeledDataset test = ctx.Mnist().Test;
        var random = new Random((int)ctx.Seed);
        int[] picks = Enumerable.Range(0, test.Count).OrderBy(_ => random.Next()).Take(10).ToArray();
        var images = new Tensor(10, 784);
        for (int i = 0; i < picks.Length; i++)
        {
            test.Features.Slice(picks[i], 1).AsReadOnlySpan().CopyTo(images.AsSpan().Slice(i * 784, 784));
        }

        int[] truth = picks.Select(p => test.Labels[p]).ToArray();
        var predictions = models.ToDictionary(m => m.Key, m => (IReadOnlyList<int>)m.Value.Predict(images).ArgMaxLastAxis());
        string path = Path.Combine(ctx.FolderFor("E0.4"), "predictions.png");
        ImageGrid.SaveComparison(path, images, truth, predictions, 5, "E0.4: 10 random test images, prediction of each model");
        int correct = predictions.Values.Sum(p => p.Zip(truth).Count(t => t.First == t.Second));
        return
        [
            new("E0.4", "2x5 grid, three models", "a 2x5 picture grid", Inv($"{correct}/30 predictions correct (grid: E0.4/predictions.png)"), 0, 0,
                "Images from the standard test set; E0.1 and E0.2 trained on a random 80% of all 70,000 images, so some shown images may be theirs."),
        ];
    }
}
