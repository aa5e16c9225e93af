using System.Diagnostics;
using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Optimizers.Schedules;
using NeuralNet.Training;

namespace NeuralNet.Samples.Transformers;

/// <summary>
/// A small Vision Transformer for MNIST: 4x4 patches cut and projected by one strided Conv2D (49 patches of 64 features),
/// learned position embeddings, pre-norm encoder blocks (LayerNormalization, MultiHeadAttention, Add; LayerNormalization,
/// Dense with gelu, Dense, Add), then LayerNormalization, GlobalAveragePooling1D and Dense(10, softmax).
/// </summary>
internal static class VisionTransformer
{
    public const int PatchSize = 4;
    public const int Dim = 64;
    public const int Heads = 4;
    public const int Blocks = 2;
    public const int MlpUnits = 128;
    public const int BatchSize = 128;

    public static Functional Build(long seed = 42)
    {
        const int side = 28 / PatchSize;
        var image = new Input(new TensorShape(28, 28, 1), name: "image");
        SymbolicTensor x = new Conv2D(Dim, PatchSize, strides: PatchSize, name: "patches").Call(image);   // 7 x 7 x 64
        x = new Reshape([side * side, Dim], "sequence").Call(x);                                            // 49 x 64
        x = new PositionEmbedding(name: "positions").Call(x);
        for (int block = 0; block < Blocks; block++)
        {
            x = EncoderBlock(x);
        }

        x = new LayerNormalization(epsilon: 1e-6f).Call(x);
        x = new GlobalAveragePooling1D().Call(x);                                                           // 64
        SymbolicTensor digit = new Dense(10, ActivationFunction.Softmax, name: "digit").Call(x);
        return new Functional(image, digit, name: "vit_mnist", seed: seed);
    }

    public static double Run(MnistData mnist, int epochs)
    {
        Console.WriteLine($"== Vision Transformer: {Blocks} blocks, dim {Dim}, {Heads} heads, {(28 / PatchSize) * (28 / PatchSize)} patches of {PatchSize}x{PatchSize}, {epochs} epoch(s) on {mnist.Train.Count} images");
        Functional model = Build();
        long steps = epochs * (long)((mnist.Train.Count + BatchSize - 1) / BatchSize);
        long warmup = Math.Min(200, steps / 10);
        var optimizer = new AdamW(weightDecay: 1e-4f)
        {
            Schedule = new CosineDecay(1e-4, Math.Max(1, steps - warmup), warmupTarget: 2e-3, warmupSteps: warmup),
        };
        model.Compile(optimizer, new CategoricalCrossEntropy(), new Accuracy());
        model.PrintSummary();

        Tensor train = Images(mnist.Train), test = Images(mnist.Test);
        var clock = Stopwatch.StartNew();
        model.Fit(train, mnist.Train.OneHotLabels(), epochs: epochs, batchSize: BatchSize, verbose: 2);
        clock.Stop();
        IReadOnlyDictionary<string, double> result = model.Evaluate(test, mnist.Test.OneHotLabels(), batchSize: 256, verbose: 0);
        Console.WriteLine($"ViT test accuracy {result["accuracy"]:0.0000} (loss {result["loss"]:0.0000}) on {mnist.Test.Count} images, {clock.Elapsed.TotalSeconds / epochs:0.0} s per epoch");
        return result["accuracy"];
    }

    // Pre-norm block: x + MHA(LN(x)), then x + MLP(LN(x)), the MLP Dense(128, gelu) -> Dense(64).
    private static SymbolicTensor EncoderBlock(SymbolicTensor x)
    {
        SymbolicTensor y = new LayerNormalization(epsilon: 1e-6f).Call(x);
        y = new MultiHeadAttention(numHeads: Heads, keyDim: Dim / Heads).Call(y, y);
        x = new Add().Call(x, y);
        y = new LayerNormalization(epsilon: 1e-6f).Call(x);
        y = new Dense(MlpUnits, ActivationFunction.Gelu).Call(y);
        y = new Dense(Dim).Call(y);
        return new Add().Call(x, y);
    }

    private static Tensor Images(LabeledDataset data) => data.Features.Reshape(data.Count, 28, 28, 1);
}
