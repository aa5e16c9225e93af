using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Models;
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

    // The document does not say how many epochs it ran: 100 is our guess (100 passes over 900 images, 1,500 steps).
    private const int DocumentEpochs = 100;

    private static IReadOnlyList<ResultRow> E11(ExperimentContext ctx)
    {
        LabeledDataset first = ctx.Mnist().Train.Take(1000);
        LabeledDataset train = first.Take(900), test = first.Skip(900);
        int epochs = ctx.Epochs(DocumentEpochs);
        var model = ModelZoo.Mlp(ctx.Seed, [200], ActivationFunction.Relu).Compiled(new Sgd(1e-3f));
        TrainedRun run = ctx.Fit(model, train.Features, train.OneHotLabels(), epochs, 64, validationData: (test.Features, test.OneHotLabels()));
        ctx.SaveHistory("E1.1", "history", run.History, "E1.1 cost and accuracy per epoch (900 train / 100 test)");

        // The document's bug, reproduced as a variant: its first layer's gradient (dw1 = dz1 @ x, db1 = sum(dz1)) is
        // summed over the mini-batch instead of averaged, while the second layer's is divided by batch_size. With plain
        // SGD, layer 1 takes steps batch-size times larger (64, or 4 on the last batch of 900 = 14 x 64 + 4) and layer 2
        // the right ones. SummedGradient after the first Dense gives exactly that gradient; the weights start as the
        // correct run's.
        var buggy = new Sequential(seed: ctx.Seed);
        buggy.Add(new InputLayer(784));
        buggy.Add(new Dense(200, ActivationFunction.Relu));
        buggy.Add(new SummedGradient());
        buggy.Add(new Dense(10, ActivationFunction.Softmax));
        Sequential initial = ModelZoo.Mlp(ctx.Seed, [200], ActivationFunction.Relu);
        for (int i = 0; i < initial.Parameters.Count; i++)
        {
            initial.Parameters[i].Value.AsReadOnlySpan().CopyTo(buggy.Parameters[i].Value.AsSpan());
        }

        buggy.Compiled(new Sgd(1e-3f));
        TrainedRun summed = ctx.Fit(buggy, train.Features, train.OneHotLabels(), epochs, 64, validationData: (test.Features, test.OneHotLabels()));
        ctx.SaveHistory("E1.1", "history-summed-gradient", summed.History, "E1.1 with the document's summed first-layer gradient");

        var sample = test.Take(10);
        int[] predicted = model.Predict(sample.Features).ArgMaxLastAxis();
        ImageGrid.Save(Path.Combine(ctx.FolderFor("E1.1"), "test-images.png"), sample.Features, sample.LabelsToArray(), predicted, 5, "E1.1: test images and predicted digits");
        double accuracy = run.History["val_accuracy"][^1];
        // The document prints, each epoch, the cost of the epoch's last mini-batch (the loop variable left over) and the
        // accuracy on the 100 test images; our History's loss is the mean over the epoch's mini-batches.
        const string CostNote = "The document's per-epoch \"cost\" is its last mini-batch's loss; ours (history.csv) is the epoch's mean.";
        return
        [
            new("E1.1", "correct gradient, lr 1e-3", "test accuracy 0.79", Inv($"test {F4(accuracy)}"), run.History.EpochCount, run.Seconds,
                Inv($"The document does not divide its first layer's gradient by the batch size (steps 64 times larger there); with the correct mean gradient, lr 1e-3 learns slower. The document does not say how many epochs it ran: {epochs} is our guess. {CostNote}")),
            new("E1.1", "document's gradient: first layer summed over the batch", "test accuracy 0.79", Inv($"test {F4(summed.History["val_accuracy"][^1])}"), summed.History.EpochCount, summed.Seconds,
                "The document's bug reproduced: the first layer's gradient is the sum over the mini-batch, the second layer's the mean; same initial weights and batches as the correct run."),
        ];
    }
}
