using System.Diagnostics;
using System.Text;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Preprocessing;
using NeuralNet.Training;

namespace NeuralNet.Samples.Sequences;

/// <summary>
/// Character-level text generation (Keras' <c>lstm_character_level_text_generation</c> example): an LSTM reads 40
/// characters and predicts the next one; sampling from its predictions at several temperatures writes new text.
/// </summary>
internal static class CharGeneration
{
    /// <summary>A plain-text file every Debian and Ubuntu system has (package base-files).</summary>
    public const string DefaultText = "/usr/share/common-licenses/GPL-3";

    /// <summary>Characters the model reads to predict the next one.</summary>
    public const int Window = 40;

    private const int Step = 3;

    public static Sequential Build(int vocabularySize, long seed = 42)
    {
        var model = new Sequential(name: "char_lstm", seed: seed);
        model.Add(new InputLayer(new TensorShape(Window), name: "chars"));
        model.Add(new Embedding(vocabularySize, 32));
        model.Add(new Lstm(128));
        model.Add(new Dense(vocabularySize, ActivationFunction.Softmax, name: "next_char"));
        return model;
    }

    /// <summary>Trains on the file at <paramref name="path"/> (its first <paramref name="maxChars"/> characters when given) and prints generated text.</summary>
    public static void Run(string path, int epochs, int? maxChars, int generatedLength, long seed = 42)
    {
        string text = File.ReadAllText(path);
        if (maxChars is int max && text.Length > max)
        {
            text = text[..max];
        }

        // One token per character, ASCII letters lowercased (as Keras' example lowercases the text).
        var chars = new TextVectorization(standardize: TextStandardization.Lower, split: TextSplit.Character, name: "chars");
        chars.Adapt([text]);
        IReadOnlyList<string> vocabulary = chars.GetVocabulary();
        float[] ids = chars.Transform([text]).ToArray();

        // Windows of 40 characters every 3 characters; the label is the character after the window.
        int count = ((ids.Length - Window - 1) / Step) + 1;
        var x = new float[count * Window];
        var y = new float[count];
        for (int n = 0; n < count; n++)
        {
            Array.Copy(ids, n * Step, x, n * Window, Window);
            y[n] = ids[(n * Step) + Window];
        }

        Console.WriteLine($"== Character-level text generation: LSTM(128) on {path} ({ids.Length} characters, {vocabulary.Count - 2} distinct), {count} windows, {epochs} epoch(s)");
        Sequential model = Build(chars.VocabularySize, seed);
        model.Compile(new Adam(0.005f), new SparseCategoricalCrossEntropy(), new SparseCategoricalAccuracy());
        model.PrintSummary();
        var clock = Stopwatch.StartNew();
        History history = model.Fit(Tensor.FromArray(x, count, Window), Tensor.FromArray(y, count, 1), epochs: epochs, batchSize: 128, verbose: 2, seed: seed);
        clock.Stop();
        Console.WriteLine($"Training: loss {history["loss"][^1]:0.000}, next-character accuracy {history["sparse_categorical_accuracy"][^1]:0.000}, {clock.Elapsed.TotalSeconds / Math.Max(epochs, 1):0.0} s per epoch");

        var random = new Random((int)seed);
        int start = random.Next(ids.Length - Window);
        foreach (double temperature in (double[])[0.2, 0.5, 1.0])
        {
            float[] window = ids[start..(start + Window)];
            var generated = new StringBuilder();
            for (int i = 0; i < generatedLength; i++)
            {
                float[] probabilities = model.Predict(Tensor.FromArray(window, 1, Window)).ToArray();
                int next = Sample(probabilities, temperature, random);
                generated.Append(vocabulary[next]);
                Array.Copy(window, 1, window, 0, Window - 1);
                window[^1] = next;
            }

            Console.WriteLine($"--- temperature {temperature:0.0}, seed \"{Printable(Decode(ids.AsSpan(start, Window), vocabulary))}\":");
            Console.WriteLine(generated.ToString());
        }
    }

    // Keras' sample(): reweight the distribution by 1 / temperature in log space, then draw. Ids 0 (padding) and 1
    // ([UNK]) are never next characters.
    private static int Sample(float[] probabilities, double temperature, Random random)
    {
        var weights = new double[probabilities.Length];
        double total = 0;
        for (int k = 2; k < weights.Length; k++)
        {
            weights[k] = Math.Exp(Math.Log(Math.Max(probabilities[k], 1e-12)) / temperature);
            total += weights[k];
        }

        double draw = random.NextDouble() * total;
        for (int k = 2; k < weights.Length; k++)
        {
            draw -= weights[k];
            if (draw <= 0)
            {
                return k;
            }
        }

        return weights.Length - 1;
    }

    private static string Decode(ReadOnlySpan<float> ids, IReadOnlyList<string> vocabulary)
    {
        var text = new StringBuilder();
        foreach (float id in ids)
        {
            text.Append(vocabulary[(int)id]);
        }

        return text.ToString();
    }

    private static string Printable(string text) => text.Replace("\n", " ", StringComparison.Ordinal);
}
