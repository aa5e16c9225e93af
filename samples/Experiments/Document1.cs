using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Optimizers;
using NeuralNet.Plotting;
using static NeuralNet.Experiments.Format;

namespace NeuralNet.Experiments;

/// <summary>001 — "LAB4": a NumPy network on the first 1,000 MNIST images.</summary>
internal static class Document1
{
    public static IEnumerable<Experiment> All =>
    [
        new("E1.1", "001 LAB4", "784-200 ReLU-10 on the first 1,000 images (900 train / 100 test), SGD 1e-3, batch 64", E11),
    ];

    // The document does not say how many epochs it ran; 100 passes over 900 images is 1,500 steps.
    private const int DocumentEpochs = 100;

    private static IReadOnlyList<ResultRow> E11(ExperimentContext ctx)
    {
        LabeledDataset first = ctx.Mnist().Train.Take(1000);
        LabeledDataset train = first.Take(900), test = first.Skip(900);
        int epochs = ctx.Epochs(DocumentEpochs);
        var model = ModelZoo.Mlp(ctx.Seed, [200], ActivationFunction.Relu).Compiled(new Sgd(1e-3f));
        TrainedRun run = ctx.Fit(model, train.Features, train.OneHotLabels(), epochs, 64, validationData: (test.Features, test.OneHotLabels()));
        ctx.SaveHistory("E1.1", "history", run.History, "E1.1 cost and accuracy per epoch (900 train / 100 test)");

        // The document's bug, reproduced as a variant: its first-layer gradient is a sum over the batch, not a mean,
        // so that layer effectively learns 64 times faster. Same effect: a first layer with lr 64e-3.
        var buggy = ModelZoo.Mlp(ctx.Seed, [200], ActivationFunction.Relu).Compiled(new Sgd(64e-3f));
        TrainedRun fast = ctx.Fit(buggy, train.Features, train.OneHotLabels(), epochs, 64, validationData: (test.Features, test.OneHotLabels()));

        var sample = test.Take(10);
        int[] predicted = model.Predict(sample.Features).ArgMaxLastAxis();
        ImageGrid.Save(Path.Combine(ctx.FolderFor("E1.1"), "test-images.png"), sample.Features, sample.LabelsToArray(), predicted, 5, "E1.1: test images and predicted digits");
        double accuracy = run.History["val_accuracy"][^1];
        return
        [
            new("E1.1", "correct gradient, lr 1e-3", "test accuracy 0.79", Inv($"test {F4(accuracy)}"), run.History.EpochCount, run.Seconds,
                Inv($"The document does not divide the first layer's gradient by the batch size (64x larger steps there); with the correct mean gradient, lr 1e-3 learns slower. Epochs unstated; we run {epochs}.")),
            new("E1.1", "steps 64x larger (document's effective rate)", "test accuracy 0.79", Inv($"test {F4(fast.History["val_accuracy"][^1])}"), fast.History.EpochCount, fast.Seconds,
                "Approximates the document's bug by scaling the learning rate of the whole network by the batch size."),
        ];
    }
}
