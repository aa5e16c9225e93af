using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Optimizers;
using NeuralNet.Plotting;
using NeuralNet.Regularizers;
using static NeuralNet.Experiments.Format;

namespace NeuralNet.Experiments;

/// <summary>002 — "MNIST network": learning rates, Adam + L2, a second hidden layer (NumPy).</summary>
internal static class Document2
{
    private const string Doc = "002 MNIST network";

    public static IEnumerable<Experiment> All =>
    [
        new("E2.1", Doc, "784-128-10, SGD batch 64: lr 0.1 (20 epochs) vs lr 0.001 (10 epochs)", E21),
        new("E2.2", Doc, "Adam + L2 vs plain SGD, 10 to 50 epochs", E22),
        new("E2.3", Doc, "Two hidden layers (128 then 64 or 96), SGD lr 0.1, batch 64, 10 epochs", E23),
    ];

    private static TrainedRun Train(ExperimentContext ctx, int[] hidden, Optimizer optimizer, int epochs, Func<Regularizer>? l2 = null)
    {
        MnistData data = ctx.Mnist();
        var model = ModelZoo.Mlp(ctx.Seed, hidden, ActivationFunction.Relu, kernelRegularizer: l2).Compiled(optimizer);
        return ctx.Fit(model, data.Train.Features, data.Train.OneHotLabels(), ctx.Epochs(epochs), 64,
            validationData: (data.Test.Features, data.Test.OneHotLabels()));
    }

    private static IReadOnlyList<ResultRow> E21(ExperimentContext ctx)
    {
        TrainedRun high = Train(ctx, [128], new Sgd(0.1f), 20);
        TrainedRun low = Train(ctx, [128], new Sgd(0.001f), 10);
        ctx.SaveHistory("E2.1", "lr-0.1", high.History, "E2.1 SGD lr 0.1");
        ctx.SaveHistory("E2.1", "lr-0.001", low.History, "E2.1 SGD lr 0.001");
        LineComparison.Save(Path.Combine(ctx.FolderFor("E2.1"), "loss.png"),
            new Dictionary<string, IReadOnlyList<double>> { ["lr 0.1"] = high.History["loss"], ["lr 0.001"] = low.History["loss"] },
            "E2.1 training loss per epoch", "epoch", "loss");
        return
        [
            new("E2.1", "lr 0.1", "loss ~0.9-1.0 oscillating, accuracy 68.38%",
                Inv($"loss {F4(high.History["loss"][0])} -> {F4(high.History["loss"][^1])}, test accuracy {Percent(high.History["val_accuracy"][^1])}"), high.History.EpochCount, high.Seconds,
                "A correct mean-gradient SGD converges at lr 0.1; the document's oscillating loss at ~0.95 points to a defect in its update, not to the rate."),
            new("E2.1", "lr 0.001", "loss 0.7353 -> 0.1019, accuracy 97.245%",
                Inv($"loss {F4(low.History["loss"][0])} -> {F4(low.History["loss"][^1])}, test accuracy {Percent(low.History["val_accuracy"][^1])}"), low.History.EpochCount, low.Seconds,
                "The document's curve at lr 0.001 matches summed (not averaged) batch gradients, i.e. a 64x larger step; with the mean, lr 0.001 is slow."),
        ];
    }

    private static IReadOnlyList<ResultRow> E22(ExperimentContext ctx)
    {
        TrainedRun adam = Train(ctx, [128], new Adam(), 50, () => new L2(1e-4));
        TrainedRun sgd = Train(ctx, [128], new Sgd(0.1f), 10);
        ctx.SaveHistory("E2.2", "adam-l2", adam.History, "E2.2 Adam + L2 (1e-4)");
        ctx.SaveHistory("E2.2", "sgd", sgd.History, "E2.2 plain SGD lr 0.1");
        IReadOnlyList<double> val = adam.History["val_accuracy"];
        string At(int epoch) => epoch <= val.Count ? Percent(val[epoch - 1]) : "n/a";
        return
        [
            new("E2.2", "Adam + L2, 10 epochs", "77.84%", Inv($"test {At(10)} (20 epochs: {At(20)}, 50 epochs: {At(50)})"), adam.History.EpochCount, adam.Seconds,
                "The document reports every test image getting the same prediction (a bug); a correct Adam + L2 network is far above it. L2 factor unstated; we use 1e-4."),
            new("E2.2", "plain SGD (lr 0.1), 10 epochs", "69.21%", Inv($"test {Percent(sgd.History["val_accuracy"][^1])}"), sgd.History.EpochCount, sgd.Seconds,
                "Same defect in the document's run; a correct SGD reaches ~97-98%."),
            new("E2.2", "Adam + L2, train accuracy after 50 epochs", "~92.89% train", Inv($"train {Percent(adam.History["accuracy"][^1])}"), adam.History.EpochCount, adam.Seconds),
        ];
    }

    private static IReadOnlyList<ResultRow> E23(ExperimentContext ctx)
    {
        TrainedRun h64 = Train(ctx, [128, 64], new Sgd(0.1f), 10);
        TrainedRun h96 = Train(ctx, [128, 96], new Sgd(0.1f), 10);
        ctx.SaveHistory("E2.3", "hidden-64", h64.History, "E2.3 784-128-64-10, SGD 0.1");
        ctx.SaveHistory("E2.3", "hidden-96", h96.History, "E2.3 784-128-96-10, SGD 0.1");
        string Summary(TrainedRun r) => Inv($"test accuracy {Percent(r.History["val_accuracy"][0])} (epoch 1) -> {Percent(r.History["val_accuracy"][^1])} (train {Percent(r.History["accuracy"][^1])}), loss {F4(r.History["loss"][0])} -> {F4(r.History["loss"][^1])}");
        return
        [
            new("E2.3", "128-64", "50.87% (epoch 1) -> 98.52%, loss 1.3542 -> 0.0625", Summary(h64), h64.History.EpochCount, h64.Seconds,
                "Test accuracy after each epoch; train is the running mean over the last epoch. Our epoch 1 is far higher (Glorot initialisation and a correct mean gradient). The document does not say whether its 98.52% is measured on training or test images: it sits between our final test and training accuracies, and its final loss (0.0625) is about twice ours."),
            new("E2.3", "128-96", "56.34% (epoch 1), final loss 0.0607", Summary(h96), h96.History.EpochCount, h96.Seconds),
        ];
    }
}
