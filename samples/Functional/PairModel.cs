using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;

namespace NeuralNet.Samples.GraphModels;

/// <summary>
/// A two-input, two-output model with a shared encoder (a siamese network): it reads two MNIST digits and says whether
/// they are the same digit ("same", sigmoid) and which digit the first one is ("digit", softmax). Both images go through
/// the same Dense layers, whose weights get the gradients of both calls.
/// </summary>
internal static class PairModel
{
    public static Functional Build(long seed = 7)
    {
        var left = new Input(new TensorShape(784), name: "left");
        var right = new Input(new TensorShape(784), name: "right");

        // One encoder, called on both inputs: the same weights see both images.
        var hidden = new Dense(128, ActivationFunction.Relu, name: "encoder_hidden");
        var code = new Dense(64, ActivationFunction.Relu, name: "encoder_code");
        SymbolicTensor a = code.Call(hidden.Call(left));
        SymbolicTensor b = code.Call(hidden.Call(right));

        SymbolicTensor difference = new Subtract().Call(a, b);
        SymbolicTensor product = new Multiply().Call(a, b);
        SymbolicTensor pair = new Dense(32, ActivationFunction.Relu).Call(new Concatenate().Call(difference, product));
        SymbolicTensor same = new Dense(1, ActivationFunction.Sigmoid, name: "same").Call(pair);
        SymbolicTensor digit = new Dense(10, ActivationFunction.Softmax, name: "digit").Call(a);
        return new Functional([left, right], [same, digit], name: "digit_pairs", seed: seed);
    }

    public static void Run(MnistData mnist, int epochs)
    {
        Console.WriteLine($"== Two-input model with a shared encoder, {epochs} epoch(s) on {mnist.Train.Count} pairs");
        Functional model = Build();
        model.Compile(
            new Adam(),
            new Dictionary<string, Loss> { ["same"] = new BinaryCrossEntropy(), ["digit"] = new CategoricalCrossEntropy() },
            metrics: new Dictionary<string, IReadOnlyList<Metric>> { ["same"] = [new Accuracy()], ["digit"] = [new Accuracy()] });
        model.PrintSummary();

        (Tensor left, Tensor right, Tensor same) = Pairs(mnist.Train, seed: 1);
        History history = model.Fit(
            new Dictionary<string, Tensor> { ["left"] = left, ["right"] = right },
            new Dictionary<string, Tensor> { ["same"] = same, ["digit"] = mnist.Train.OneHotLabels() },
            epochs: epochs, batchSize: 128, validationSplit: 0.1, verbose: 2);
        Console.WriteLine($"Logged: {string.Join(", ", history.Keys)}");

        (Tensor testLeft, Tensor testRight, Tensor testSame) = Pairs(mnist.Test, seed: 2);
        IReadOnlyDictionary<string, double> result = model.Evaluate([testLeft, testRight], [testSame, mnist.Test.OneHotLabels()], verbose: 0);
        Console.WriteLine($"Pairs test: same-digit accuracy {result["same_accuracy"]:0.0000}, digit accuracy {result["digit_accuracy"]:0.0000}");
    }

    // Pairs (image i, image j): half of them the same digit, half a different one, chosen with a seeded generator.
    private static (Tensor Left, Tensor Right, Tensor Same) Pairs(LabeledDataset data, long seed)
    {
        var random = new Random((int)seed);
        int n = data.Count;
        var byDigit = Enumerable.Range(0, data.ClassCount).Select(d => new List<int>()).ToArray();
        for (int i = 0; i < n; i++)
        {
            byDigit[data.Labels[i]].Add(i);
        }

        var right = new Tensor(n, 784);
        var same = new Tensor(n, 1);
        ReadOnlySpan<float> images = data.Features.AsReadOnlySpan();
        for (int i = 0; i < n; i++)
        {
            int label = data.Labels[i];
            bool match = random.Next(2) == 0;
            int other;
            if (match)
            {
                other = byDigit[label][random.Next(byDigit[label].Count)];
            }
            else
            {
                int digit = (label + 1 + random.Next(data.ClassCount - 1)) % data.ClassCount;
                other = byDigit[digit].Count > 0 ? byDigit[digit][random.Next(byDigit[digit].Count)] : i;
            }

            images.Slice(other * 784, 784).CopyTo(right.AsSpan().Slice(i * 784, 784));
            same[i, 0] = data.Labels[other] == label ? 1f : 0f;
        }

        return (data.Features, right, same);
    }
}
