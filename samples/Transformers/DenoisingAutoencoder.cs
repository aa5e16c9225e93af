using System.Diagnostics;
using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Plotting;

namespace NeuralNet.Samples.Transformers;

/// <summary>
/// A denoising convolutional autoencoder for MNIST, as in Keras' example: Gaussian noise (stddev 0.4, clipped to [0, 1])
/// on the inputs, the clean digits as targets, binary cross-entropy. Encoder: Conv2D + MaxPooling2D twice (28 -> 7);
/// decoder: Conv2DTranspose with stride 2 twice (7 -> 28), then a Conv2D(1, sigmoid).
/// </summary>
internal static class DenoisingAutoencoder
{
    public const float NoiseFactor = 0.4f;
    public const int BatchSize = 128;

    public static Functional Build(long seed = 42)
    {
        var noisy = new Input(new TensorShape(28, 28, 1), name: "noisy");
        SymbolicTensor x = new Conv2D(16, 3, padding: Padding.Same, activation: ActivationFunction.Relu).Call(noisy);   // 28 x 28 x 16
        x = new MaxPooling2D(2).Call(x);                                                                                  // 14 x 14 x 16
        x = new Conv2D(32, 3, padding: Padding.Same, activation: ActivationFunction.Relu).Call(x);                       // 14 x 14 x 32
        x = new MaxPooling2D(2).Call(x);                                                                                  // 7 x 7 x 32
        x = new Conv2DTranspose(32, 3, strides: 2, padding: Padding.Same, activation: ActivationFunction.Relu).Call(x);   // 14 x 14 x 32
        x = new Conv2DTranspose(16, 3, strides: 2, padding: Padding.Same, activation: ActivationFunction.Relu).Call(x);   // 28 x 28 x 16
        SymbolicTensor clean = new Conv2D(1, 3, padding: Padding.Same, activation: ActivationFunction.Sigmoid, name: "clean").Call(x);
        return new Functional(noisy, clean, name: "denoising_autoencoder", seed: seed);
    }

    /// <summary>Trains the autoencoder, prints the test MSE of the noisy inputs and of the reconstructions, and writes the picture.</summary>
    public static (double NoisyMse, double ReconstructionMse) Run(MnistData mnist, int epochs, string outFolder)
    {
        Console.WriteLine($"== Denoising autoencoder: noise stddev {NoiseFactor} (clipped to [0, 1]), {epochs} epoch(s) on {mnist.Train.Count} images");
        Functional model = Build();
        model.Compile(new Adam(), new BinaryCrossEntropy());
        model.PrintSummary();

        Tensor train = Images(mnist.Train), test = Images(mnist.Test);
        Tensor noisyTrain = AddNoise(train, seed: 1), noisyTest = AddNoise(test, seed: 2);
        var clock = Stopwatch.StartNew();
        model.Fit(noisyTrain, train, epochs: epochs, batchSize: BatchSize, verbose: 2);
        clock.Stop();

        Tensor reconstructed = model.Predict(noisyTest, batchSize: 256);
        double noisyMse = MeanSquaredError(noisyTest, test), reconstructionMse = MeanSquaredError(reconstructed, test);
        Console.WriteLine($"Test MSE against the clean digits: noisy input {noisyMse:0.0000}, reconstruction {reconstructionMse:0.0000} ({mnist.Test.Count} images, {clock.Elapsed.TotalSeconds / epochs:0.0} s per epoch)");

        const int shown = 10;
        Tensor grid = Concatenate(noisyTest.Slice(0, shown), test.Slice(0, shown), reconstructed.Slice(0, shown));
        int[] labels = [.. mnist.Test.LabelsToArray().Take(shown), .. mnist.Test.LabelsToArray().Take(shown), .. mnist.Test.LabelsToArray().Take(shown)];
        string path = Path.Combine(outFolder, "denoising.png");
        ImageGrid.Save(path, grid, labels, null, shown, "Rows: noisy input, clean digit, reconstruction");
        Console.WriteLine($"Wrote {path}");
        return (noisyMse, reconstructionMse);
    }

    /// <summary>clip(x + noiseFactor · n, 0, 1), n ~ N(0, 1) per pixel (Box-Muller on a seeded generator).</summary>
    internal static Tensor AddNoise(Tensor images, int seed)
    {
        var random = new Random(seed);
        Tensor noisy = images.Clone();
        Span<float> pixels = noisy.AsSpan();
        for (int i = 0; i < pixels.Length; i++)
        {
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double n = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            pixels[i] = Math.Clamp(pixels[i] + (NoiseFactor * (float)n), 0f, 1f);
        }

        return noisy;
    }

    private static double MeanSquaredError(Tensor predicted, Tensor target)
    {
        ReadOnlySpan<float> a = predicted.AsReadOnlySpan(), b = target.AsReadOnlySpan();
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            sum += d * d;
        }

        return sum / a.Length;
    }

    private static Tensor Concatenate(params ReadOnlySpan<Tensor> parts)
    {
        int count = 0;
        foreach (Tensor part in parts)
        {
            count += part.Shape[0];
        }

        var result = new Tensor(count, 28, 28, 1);
        int offset = 0;
        foreach (Tensor part in parts)
        {
            part.AsReadOnlySpan().CopyTo(result.AsSpan()[offset..]);
            offset += part.Length;
        }

        return result;
    }

    private static Tensor Images(LabeledDataset data) => data.Features.Reshape(data.Count, 28, 28, 1);
}
