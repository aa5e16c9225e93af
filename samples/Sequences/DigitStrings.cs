using System.Diagnostics;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;

namespace NeuralNet.Samples.Sequences;

/// <summary>
/// Reading strings of handwritten digits: 1 to 4 MNIST digits placed side by side at random gaps in a 28 × 112 strip,
/// read column by column by a bidirectional LSTM trained with the CTC loss, which needs no position of any digit; greedy
/// CTC decoding turns its per-column scores back into the digits.
/// </summary>
internal static class DigitStrings
{
    private const int Height = 28, Width = 112, DigitWidth = 20, MaxDigits = 4;

    // Two pixel columns per step: 56 steps of 56 values. Class 0 is CTC's blank; digit d is class d + 1.
    private const int Steps = Width / 2, Features = Height * 2, Classes = 11;

    public static Sequential Build(long seed = 42)
    {
        var model = new Sequential(name: "digit_strings_ctc", seed: seed);
        model.Add(new InputLayer(new TensorShape(Steps, Features), name: "columns"));
        model.Add(new Bidirectional(new Lstm(64, returnSequences: true)));
        model.Add(new Dense(Classes, name: "logits")); // CTC takes logits: no softmax
        return model;
    }

    public static double Run(MnistData mnist, int trainStrings, int testStrings, int epochs)
    {
        Console.WriteLine($"== Strings of 1-{MaxDigits} handwritten digits, read column by column: BiLSTM(64) + CTC, {epochs} epoch(s) on {trainStrings} strings");
        (Tensor trainX, Tensor trainY, _) = Compose(mnist.Train, trainStrings, seed: 1);
        (Tensor testX, _, int[][] testDigits) = Compose(mnist.Test, testStrings, seed: 2);
        Sequential model = Build();
        model.Compile(new Adam(0.003f), new Ctc());
        model.PrintSummary();

        var clock = Stopwatch.StartNew();
        model.Fit(trainX, trainY, epochs: epochs, batchSize: 64, verbose: 2);
        clock.Stop();

        CtcDecodeResult decoded = CtcDecoding.Greedy(model.Predict(testX));
        int right = 0;
        for (int s = 0; s < testStrings; s++)
        {
            int[] read = [.. decoded.Sequence(s).Select(c => c - 1)];
            if (read.SequenceEqual(testDigits[s]))
            {
                right++;
            }

            if (s < 5)
            {
                Console.WriteLine($"  test string {s}: written {string.Concat(testDigits[s])}, read {string.Concat(read)}");
            }
        }

        double accuracy = (double)right / testStrings;
        Console.WriteLine($"Digit strings: {accuracy:P1} of {testStrings} test strings read exactly (greedy CTC decoding), {clock.Elapsed.TotalSeconds / epochs:0.0} s per epoch");
        return accuracy;
    }

    /// <summary>
    /// Strings of random digits from <paramref name="digits"/>: inputs (count, steps, features), CTC targets (count,
    /// MaxDigits) of classes padded with 0, and the digits written.
    /// </summary>
    private static (Tensor Inputs, Tensor Targets, int[][] Digits) Compose(LabeledDataset digits, int count, int seed)
    {
        var random = new Random(seed);
        ReadOnlySpan<float> pixels = digits.Features.AsReadOnlySpan();
        ReadOnlySpan<int> labels = digits.Labels;
        float[] inputs = new float[count * Steps * Features], targets = new float[count * MaxDigits];
        int[][] written = new int[count][];
        float[] strip = new float[Height * Width];
        for (int s = 0; s < count; s++)
        {
            Array.Clear(strip);
            int n = 1 + random.Next(MaxDigits);
            int[] gaps = [.. Enumerable.Range(0, n).Select(_ => random.Next(5))];
            int x = random.Next(Width - (n * DigitWidth) - gaps.Sum() + 1);
            written[s] = new int[n];
            for (int d = 0; d < n; d++)
            {
                int index = random.Next(digits.Count);
                written[s][d] = labels[index];
                targets[(s * MaxDigits) + d] = labels[index] + 1;
                x += gaps[d];

                // The digit's middle 20 columns (MNIST centres each digit in 28 × 28).
                for (int row = 0; row < Height; row++)
                {
                    for (int col = 0; col < DigitWidth; col++)
                    {
                        float v = pixels[(index * Height * Height) + (row * Height) + col + 4];
                        ref float target = ref strip[(row * Width) + x + col];
                        target = Math.Max(target, v);
                    }
                }

                x += DigitWidth;
            }

            // Step t holds columns 2t and 2t + 1, each top to bottom.
            for (int t = 0; t < Steps; t++)
            {
                for (int half = 0; half < 2; half++)
                {
                    for (int row = 0; row < Height; row++)
                    {
                        inputs[(((s * Steps) + t) * Features) + (half * Height) + row] = strip[(row * Width) + (2 * t) + half];
                    }
                }
            }
        }

        return (Tensor.FromArray(inputs, count, Steps, Features), Tensor.FromArray(targets, count, MaxDigits), written);
    }
}
