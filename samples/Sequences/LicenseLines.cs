using System.Diagnostics;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Preprocessing;
using NeuralNet.Training;

namespace NeuralNet.Samples.Sequences;

/// <summary>
/// Text classification on real text available offline: which license (GPL-3, Apache-2.0, Artistic, MPL-2.0, from
/// /usr/share/common-licenses) a line comes from. TextVectorization -> Embedding -> Conv1D -> GlobalMaxPooling1D -> Dropout -> Dense;
/// the vectorizer is saved with the model and the reloaded pair must predict identically.
/// </summary>
internal static class LicenseLines
{
    public const string DefaultFolder = "/usr/share/common-licenses";
    public const int Length = 16;

    public static readonly string[] Licenses = ["GPL-3", "Apache-2.0", "Artistic", "MPL-2.0"];

    public static Sequential Build(int vocabularySize, long seed = 42)
    {
        var model = new Sequential(name: "license_lines", seed: seed);
        model.Add(new InputLayer(new TensorShape(Length), name: "ids"));
        model.Add(new Embedding(vocabularySize, 32));
        model.Add(new Conv1D(64, 3, activation: ActivationFunction.Relu));
        model.Add(new GlobalMaxPooling1D());
        model.Add(new Dropout(0.5));
        model.Add(new Dense(Licenses.Length, ActivationFunction.Softmax, name: "license"));
        return model;
    }

    /// <summary>Trains, reports test accuracy, saves and reloads; returns the test accuracy.</summary>
    public static double Run(string folder, int epochs, long seed = 42)
    {
        // Every line of at least three words, labelled with its file; a seeded 80/20 split.
        var lines = new List<(string Text, int Label)>();
        for (int k = 0; k < Licenses.Length; k++)
        {
            foreach (string line in File.ReadLines(Path.Combine(folder, Licenses[k])))
            {
                if (line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length >= 3)
                {
                    lines.Add((line.Trim(), k));
                }
            }
        }

        var random = new Random((int)seed);
        (string Text, int Label)[] shuffled = [.. lines.OrderBy(_ => random.Next())];
        int trainCount = shuffled.Length * 4 / 5;
        var train = shuffled[..trainCount];
        var test = shuffled[trainCount..];
        string[] testTexts = [.. test.Select(l => l.Text)];
        int majority = train.GroupBy(l => l.Label).MaxBy(g => g.Count())!.Key;
        Console.WriteLine($"== Which license is this line from? {string.Join(", ", Licenses)}: {train.Length} training lines, {test.Length} test lines, {epochs} epoch(s)");

        // The vocabulary comes from the training lines only.
        var vectorizer = new TextVectorization(maxTokens: 5000, outputSequenceLength: Length, name: "words");
        vectorizer.Adapt(train.Select(l => l.Text));
        Tensor xTrain = vectorizer.Transform(train.Select(l => l.Text)), xTest = vectorizer.Transform(testTexts);
        Tensor yTrain = Labels(train), yTest = Labels(test);

        Sequential model = Build(vectorizer.VocabularySize, seed);
        model.Compile(new Adam(0.003f), new SparseCategoricalCrossEntropy(), new SparseCategoricalAccuracy());
        model.PrintSummary();
        var clock = Stopwatch.StartNew();
        model.Fit(xTrain, yTrain, epochs: epochs, batchSize: 32, verbose: 2, seed: seed);
        clock.Stop();
        double accuracy = model.Evaluate(xTest, yTest, verbose: 0)["sparse_categorical_accuracy"];
        double baseline = test.Count(l => l.Label == majority) / (double)test.Length;
        Console.WriteLine($"Vocabulary {vectorizer.VocabularySize} entries; test accuracy {accuracy:0.0000} (always '{Licenses[majority]}': {baseline:0.0000}), {clock.Elapsed.TotalSeconds / Math.Max(epochs, 1):0.00} s per epoch");

        // Save the model with its vectorizer, load both back, and check the ids and predictions are identical.
        model.Preprocessing["text"] = vectorizer;
        string path = Path.Combine(Path.GetTempPath(), $"license-lines-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            var restored = (TextVectorization)loaded.Preprocessing["text"];
            float[] before = model.Predict(xTest).ToArray();
            float[] after = loaded.Predict(restored.Transform(testTexts)).ToArray();
            bool same = before.AsSpan().SequenceEqual(after);
            Console.WriteLine($"Saved and reloaded with its {restored.VocabularySize}-entry vocabulary ({new FileInfo(path).Length / 1024} KiB): predictions {(same ? "identical" : "DIFFERENT")}");
            if (!same)
            {
                throw new InvalidOperationException("The reloaded model and vectorizer predict differently.");
            }

            foreach (int i in (int[])[0, 1, 2])
            {
                int predicted = ArgMax(after.AsSpan(i * Licenses.Length, Licenses.Length));
                Console.WriteLine($"  \"{testTexts[i]}\" -> {Licenses[predicted]} (from {Licenses[test[i].Label]})");
            }
        }
        finally
        {
            File.Delete(path);
        }

        return accuracy;
    }

    private static Tensor Labels((string Text, int Label)[] lines) => Tensor.FromArray([.. lines.Select(l => (float)l.Label)], lines.Length, 1);

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int k = 1; k < values.Length; k++)
        {
            best = values[k] > values[best] ? k : best;
        }

        return best;
    }
}
