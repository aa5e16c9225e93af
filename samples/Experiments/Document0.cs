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
    private static MnistData Pooled(ExperimentContext ctx, long seed) => ctx.Mnist().Resplit(0.8, seed);

    private static (TrainedRun Run, EvaluateAtEpochs Checks) TrainE01(ExperimentContext ctx, long seed) => ctx.Memo($"E0.1/{seed}", () =>
    {
        MnistData data = Pooled(ctx, seed);
        int epochs = ctx.Epochs(10);
        var checks = new EvaluateAtEpochs(new Dictionary<string, LabeledDataset> { ["train"] = data.Train, ["test"] = data.Test }, 1, epochs);
        var model = ModelZoo.Mlp(seed, [128], ActivationFunction.Relu, ModelZoo.ScaledNormal, (_, _) => new Zeros()).Compiled(new Sgd(0.1f));
        TrainedRun run = ctx.Fit(model, data.Train.Features, data.Train.OneHotLabels(), epochs, 32, callbacks: [checks], seed: seed);
        return (run, checks);
    });

    private static IReadOnlyList<ResultRow> E01(ExperimentContext ctx)
    {
        (TrainedRun run, EvaluateAtEpochs checks) = TrainE01(ctx, ctx.Seed);
        int last = run.History.EpochCount;
        ctx.SaveHistory("E0.1", "history", run.History, "E0.1 NumPy-style MLP, SGD 0.1");
        var sweep = new List<double>();
        double seconds = 0;
        foreach (long seed in ctx.SweepSeeds)
        {
            (TrainedRun seeded, EvaluateAtEpochs seededChecks) = TrainE01(ctx, seed);
            sweep.Add(seededChecks.Accuracy("test", seeded.History.EpochCount)!.Value);
            seconds += seeded.Seconds - seededChecks.Seconds;
        }

        // Times are of training without the evaluations after the epochs; the epoch-1 row is part of the same run
        // and has no time of its own (as the 2-epoch rows of E4.2 and E4.4).
        return
        [
            new("E0.1", "epoch 1", "train 0.9491 / test 0.9457", $"train {F4(checks.Accuracy("train", 1)!.Value)} / test {F4(checks.Accuracy("test", 1)!.Value)}", 1, double.NaN),
            new("E0.1", $"epoch {last}", "train 0.9938 / test 0.9763 (epoch 10)", $"train {F4(checks.Accuracy("train", last)!.Value)} / test {F4(checks.Accuracy("test", last)!.Value)}", last, run.Seconds - checks.Seconds,
                "Accuracies measured on the whole train and test sets after the epoch, as the document does."),
            new("E0.1", $"epoch {last}, {sweep.Count} seeds", "test 0.9763 (one run)", Spread(sweep), last, seconds,
                "Seeds change the 80/20 split, the initial weights and the shuffling; the document's single run is one draw of these."),
        ];
    }

    private static TrainedRun TrainE02(ExperimentContext ctx) => ctx.Memo("E0.2", () =>
    {
        MnistData data = Pooled(ctx, ctx.Seed);
        const int batch = 32;
        const double alpha = 1e-4;
        // scikit-learn adds alpha/2 * ||W||^2 / batch to the batch loss, on weights only, and initialises
        // weights and biases uniformly in +-sqrt(6 / (fan_in + fan_out)).
        var model = ModelZoo.Mlp(ctx.Seed, [128, 64], ActivationFunction.Relu,
            (i, o) => new GlorotUniform(),
            (i, o) => new RandomUniform(-Math.Sqrt(6.0 / (i + o)), Math.Sqrt(6.0 / (i + o))),
            kernelRegularizer: () => new L2(alpha / (2 * batch)))
            .Compiled(new Adam(0.01f, epsilon: 1e-8f));
        var stop = new SklearnStopping(tol: 1e-4, iterationsNoChange: 10);
        return ctx.Fit(model, data.Train.Features, data.Train.OneHotLabels(), ctx.Epochs(100), batch, callbacks: [stop]);
    });

    // The training losses scikit-learn printed in E0.2's document ("Iteration N, loss = ..."), to check that
    // SklearnStopping stops where scikit-learn did.
    private static readonly double[] DocumentE02Losses =
    [
        0.26789919, 0.18700123, 0.16830170, 0.15892772, 0.15076206, 0.15427093,
        0.15205205, 0.14661814, 0.15141570, 0.14138908, 0.14470474, 0.14013576,
        0.14977668, 0.14235715, 0.13417208, 0.14122050, 0.14308692, 0.13380155,
        0.13522199, 0.13958952, 0.13727119, 0.13781086, 0.13367830, 0.14659145,
        0.13965240, 0.13317852, 0.13810979, 0.13567526, 0.13681480, 0.13498993,
        0.13898434, 0.13281275, 0.13970717, 0.13763893, 0.13395090, 0.14382901,
        0.12864102, 0.14158974, 0.13824479, 0.13084977, 0.14610638, 0.13781475,
        0.13306335, 0.13491689, 0.12857287, 0.13319564, 0.14193222, 0.13659767,
    ];

    private static IReadOnlyList<ResultRow> E02(ExperimentContext ctx)
    {
        TrainedRun run = TrainE02(ctx);
        MnistData data = Pooled(ctx, ctx.Seed);
        ctx.SaveHistory("E0.2", "history", run.History, "E0.2 scikit-learn-style MLP (128, 64), Adam 0.01");
        double train = ExperimentContext.Accuracy(run.Model, data.Train), test = ExperimentContext.Accuracy(run.Model, data.Test);
        return
        [
            new("E0.2", "MLP (128, 64), stopped by tol 1e-4 / 10 epochs", "train 0.9847 / test 0.9649 (stopped after 48 epochs)",
                $"train {F4(train)} / test {F4(test)}", run.History.EpochCount, run.Seconds,
                Inv($"Stopped by scikit-learn's rule: an epoch whose training loss is above the best so far minus tol = 1e-4 does not improve, the best follows every decrease, and training stops after more than n_iter_no_change = 10 such epochs in a row. Replayed on the {DocumentE02Losses.Length} losses the document printed, the rule stops after epoch {new SklearnStopping().Replay(DocumentE02Losses)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}.")),
        ];
    }

    // As the document: the 60,000 training images split 80/20 at random (train_test_split) into training and
    // validation data; train accuracy is model.evaluate on the training part, so without dropout.
    private static E03Run TrainE03(ExperimentContext ctx, long seed) => ctx.Memo($"E0.3/{seed}", () =>
    {
        MnistData data = ctx.Mnist();
        (LabeledDataset train, LabeledDataset validation) = data.Train.Split(0.8, seed);
        var model = ModelZoo.Mlp(seed, [128, 64], ActivationFunction.Relu, dropout: 0.2).Compiled(new Adam());
        var bar = new ProgressBarMeans("accuracy");
        TrainedRun run = ctx.Fit(model, train.Features, train.OneHotLabels(), ctx.Epochs(20), 32,
            validationData: (validation.Features, validation.OneHotLabels()), callbacks: [bar], seed: seed);
        return new E03Run(run, ExperimentContext.Accuracy(model, train), run.History["val_accuracy"][^1], ExperimentContext.Accuracy(model, data.Test), bar);
    });

    private static IReadOnlyList<ResultRow> E03(ExperimentContext ctx)
    {
        E03Run main = TrainE03(ctx, ctx.Seed);
        TrainedRun run = main.Run;
        ctx.SaveHistory("E0.3", "history", run.History, "E0.3 Keras MLP with dropout, Adam");
        var sweep = new List<double>();
        double seconds = 0;
        foreach (long seed in ctx.SweepSeeds)
        {
            E03Run seeded = TrainE03(ctx, seed);
            sweep.Add(seeded.Test);
            seconds += seeded.Run.Seconds;
        }

        return
        [
            new("E0.3", "Keras MLP + dropout 0.2", "train 0.9970 / val 0.9796 / test 0.9802",
                $"train {F4(main.Train)} / val {F4(main.Validation)} / test {F4(main.Test)}", run.History.EpochCount, run.Seconds,
                Inv($"Train accuracy evaluated after training (dropout off), as the document's model.evaluate. During the last epoch (dropout on) the document's fit log printed 0.9875, Keras 3's progress-bar figure: the mean of the epoch's running means (keras-team/keras#20212), not History's value. Ours computed the same way: {F4(main.Bar.Last("accuracy"))}; History's epoch value: {F4(run.History["accuracy"][^1])}.")),
            new("E0.3", $"{sweep.Count} seeds", "test 0.9802 (one run)", Spread(sweep), run.History.EpochCount, seconds,
                "Seeds change the train/validation split, the initial weights, the dropout masks and the shuffling."),
        ];
    }

    // "mean 0.9755 (0.9741-0.9768, sd 0.0010)" over runs that differ only in their seed.
    private static string Spread(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return Inv($"test mean {F4(mean)} ({F4(values.Min())}-{F4(values.Max())}, sd {F4(sd)})");
    }

    private sealed record E03Run(TrainedRun Run, double Train, double Validation, double Test, ProgressBarMeans Bar);

    private static IReadOnlyList<ResultRow> E04(ExperimentContext ctx)
    {
        var models = new Dictionary<string, Sequential>
        {
            ["E0.1 NumPy MLP"] = TrainE01(ctx, ctx.Seed).Run.Model,
            ["E0.2 scikit-learn MLP"] = TrainE02(ctx).Model,
            ["E0.3 Keras MLP"] = TrainE03(ctx, ctx.Seed).Run.Model,
        };
        // E0.1 and E0.2 trained on a random 80% of the pooled 70,000 images and E0.3 on 80% of the 60,000 training
        // images, so the standard test images none of them saw are those that fell in the pooled 20%. (The
        // document drew from all 10,000 test images, about 80% of which its first two models had trained on.)
        // Resplit's shuffle depends only on the count and the seed, so resplitting each image's pooled index the same
        // way tells where every image went; the pixels are checked below.
        MnistData standard = ctx.Mnist();
        LabeledDataset pooledTest = Pooled(ctx, ctx.Seed).Test;
        int trainCount = standard.Train.Count;
        static LabeledDataset Indices(int start, LabeledDataset like) =>
            new(Tensor.FromArray(Enumerable.Range(start, like.Count).Select(i => (float)i).ToArray(), like.Count, 1), like.LabelsToArray(), like.ClassCount);
        float[] pooledIndex = new MnistData(Indices(0, standard.Train), Indices(trainCount, standard.Test)).Resplit(0.8, ctx.Seed).Test.Features.AsReadOnlySpan().ToArray();
        int[] heldOut = Enumerable.Range(0, pooledTest.Count).Where(i => pooledIndex[i] >= trainCount).ToArray();
        var random = new Random((int)ctx.Seed);
        int[] picks = heldOut.OrderBy(_ => random.Next()).Take(10).ToArray();
        var images = new Tensor(picks.Length, 784);
        for (int i = 0; i < picks.Length; i++)
        {
            ReadOnlySpan<float> pixels = pooledTest.Features.Slice(picks[i], 1).AsReadOnlySpan();
            if (!pixels.SequenceEqual(standard.Test.Features.Slice((int)pooledIndex[picks[i]] - trainCount, 1).AsReadOnlySpan()))
            {
                throw new InvalidOperationException($"Pooled test image {picks[i]} is not standard test image {(int)pooledIndex[picks[i]] - trainCount}: Resplit no longer shuffles by count and seed alone.");
            }

            pixels.CopyTo(images.AsSpan().Slice(i * 784, 784));
        }

        int[] truth = picks.Select(p => pooledTest.Labels[p]).ToArray();
        var predictions = models.ToDictionary(m => m.Key, m => (IReadOnlyList<int>)m.Value.Predict(images).ArgMaxLastAxis());
        string path = Path.Combine(ctx.FolderFor("E0.4"), "predictions.png");
        ImageGrid.SaveComparison(path, images, truth, predictions, 5, Inv($"E0.4: {picks.Length} test images no model trained on, prediction of each model"));
        int correct = predictions.Values.Sum(p => p.Zip(truth).Count(t => t.First == t.Second));
        return
        [
            new("E0.4", "2x5 grid, three models", "a 2x5 picture grid", Inv($"{correct}/{predictions.Count * picks.Length} predictions correct (grid: E0.4/predictions.png)"), 0, 0,
                Inv($"Images drawn from the {Count(heldOut.Length)} standard test images held out by all three models (those in E0.1/E0.2's pooled 20%); the document drew from the whole standard test set, most of which its first two models had trained on.")),
        ];
    }
}
