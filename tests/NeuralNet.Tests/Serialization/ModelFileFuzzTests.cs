using System.Text;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Training;
using NeuralNet.Models;
using NeuralNet.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace NeuralNet.Tests.Serialization;

/// <summary>
/// Seeded fuzzing of model files: valid files (with optimizer and training state) mutated at the byte level (as in
/// <see cref="SafeTensorsFuzzTests"/>) and at the level of the JSON configurations inside the metadata (numbers,
/// names, class names, structure), then loaded with <see cref="Sequential.Load(Stream, string)"/>. Only
/// <see cref="InvalidDataException"/> may escape; a file that loads must give a consistent, built model.
/// </summary>
public class ModelFileFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 10_000;

    private static readonly string[] s_values =
    [
        "0", "1", "-1", "2", "3", "16", "0.5", "1.5", "1e9", "2147483647", "2147483648", "-2147483649", "9223372036854775808",
        "1e400", "null", "true", "\"x\"", "[]", "{}", "[null]", "\"relu\"", "\"Dense\"", "\"Dropout\"", "\"Flatten\"", "\"InputLayer\"",
    ];

    private static readonly string[] s_strings =
    [
        "Dense", "Dropout", "Flatten", "Activation", "InputLayer", "Sequential", "Conv2D", "relu", "softmax", "leaky_relu", "gelu",
        "GlorotUniform", "L2", "Adam", "SGD", "RMSprop", "accuracy", "momentum", "velocity", "dense", "dense_1", "dropout", "", "units",
        "Functional", "Add", "Concatenate", "Dot", "__keras_tensor__", "keras_history", "inbound_nodes", "shared", "sum", "x", "joined",
    ];

    // Text-level edits inside JSON strings: escapes a reader must decode (or reject), control characters, non-ASCII.
    private static readonly string[] s_escapes = ["\\ud800", "\\udc00", "\\u0000", "\\n", "\\\"", "\u00e9", "\u4e2d", "\\uZZZZ", "\\", "\\/"];

    [Fact]
    public void Load_MutatedModelFiles_OnlyDocumentedExceptionsOccur()
    {
        const long seed = 919;
        byte[][] originals =
        [
            ModelFile(ModelTestData.DenseModel(1), 1), ModelFile(ModelTestData.DenseModel(2), 0), ModelFile(ModelTestData.ConvModel(3), 1),
            ModelFile(GraphModel(4), 1),
        ];
        int accepted = 0, rejected = 0;
        var kinds = new int[SafeTensorsFuzzTests.MutationKinds + 5];
        for (int i = 0; i < Cases; i++)
        {
            var random = new SeededRandom(SeededRandom.Derive(seed, i));
            byte[] original = originals[random.NextInt(originals.Length)];
            int kind = random.NextInt(kinds.Length);
            kinds[kind]++;
            byte[] mutated = kind < SafeTensorsFuzzTests.MutationKinds
                ? SafeTensorsFuzzTests.Mutate(original, kind, random)
                : MutateConfig(original, kind - SafeTensorsFuzzTests.MutationKinds, random);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var model = Model.Load(new MemoryStream(mutated, writable: false), "fuzz.model");
                Assert.True(model.IsBuilt);
                Assert.True(model.ParameterCount * 4 <= mutated.Length, "the model holds more weights than the file has bytes");
                accepted++;
            }
            catch (InvalidDataException ex)
            {
                Assert.StartsWith("'fuzz.model': ", ex.Message, StringComparison.Ordinal);
                rejected++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"Case {i} (mutation {kind}) threw {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}");
            }

            // Tensors, parameters (a copy), optimizer state, the parsed JSON and the layers' bookkeeping: a small multiple of the file.
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated <= (64L * mutated.Length) + (1 << 20), $"Case {i} (mutation {kind}) allocated {allocated} bytes for a {mutated.Length}-byte file.");
        }

        output.WriteLine($"{Cases} cases: {accepted} accepted, {rejected} rejected; per mutation kind: {string.Join(", ", kinds)}");
        Assert.Equal(Cases, accepted + rejected);
        Assert.True(rejected > Cases / 2, $"only {rejected} of {Cases} mutations were rejected");
        Assert.True(accepted > Cases / 50, $"only {accepted} mutations loaded: the fuzzer hardly reaches past validation");
    }

    /// <summary>A functional model with a shared layer, a residual Add, a Concatenate and a Dropout, compiled.</summary>
    internal static Functional GraphModel(long seed)
    {
        var x = new Input(new TensorShape(8), "x");
        var shared = new Dense(6, ActivationFunction.Tanh, kernelRegularizer: new L2(0.01), name: "shared");
        SymbolicTensor a = shared.Call(new Dense(6, ActivationFunction.Relu).Call(x));
        SymbolicTensor b = shared.Call(new Add(name: "sum").Call(a, new Dense(6).Call(a)));
        SymbolicTensor y = new Dense(3, ActivationFunction.Softmax).Call(new Dropout(0.2).Call(new Concatenate(name: "joined").Call(a, b)));
        var model = new Functional(x, y, seed: seed);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), new Accuracy());
        return model;
    }

    /// <summary>A trained model's file, with optimizer and training state.</summary>
    internal static byte[] ModelFile(Model model, int epochs)
    {
        var (x, y) = ModelTestData.Classification(24, model.InputShape.ElementCount, 3, seed: 5);
        model.Fit(x.Reshape([24, .. model.InputShape.Dimensions]), y, epochs: epochs, batchSize: 8, verbose: 0);
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    // Structure: an entry ("key": value) duplicated with another value, removed, or given a value of another type.
    private static string RepeatOrDropEntry(string json, SeededRandom random)
    {
        var keys = System.Text.RegularExpressions.Regex.Matches(json, "\"[A-Za-z_0-9]+\":");
        if (keys.Count == 0)
        {
            return json;
        }

        var key = keys[random.NextInt(keys.Count)];
        string value = s_values[random.NextInt(s_values.Length)];
        return random.NextInt(3) switch
        {
            0 => json.Insert(key.Index, $"{key.Value}{value},"),
            1 => json.Insert(key.Index + key.Length, $"{value},\"_ignored\":"),
            _ => json.Remove(key.Index, key.Length).Insert(key.Index, "\"_removed\":"),
        };
    }

    /// <summary>Edits one of the JSON configurations in the metadata and writes a well-formed safetensors file around it.</summary>
    private static byte[] MutateConfig(byte[] original, int kind, SeededRandom random)
    {
        var file = SafeTensorsTestFiles.Read(original);
        var metadata = new Dictionary<string, string>(file.Metadata);
        string[] keys = [.. metadata.Keys.Order(StringComparer.Ordinal)];
        string key = keys[random.NextInt(keys.Length)];
        string json = metadata[key];
        json = kind switch
        {
            0 => SafeTensorsTestFiles.ReplaceRandomRun(json, random, c => char.IsAsciiDigit(c) || c is '.' or '-' or 'e', s_values[random.NextInt(s_values.Length)]),
            1 => SafeTensorsTestFiles.ReplaceRandomRun(json, random, c => char.IsAsciiLetterOrDigit(c) || c == '_', s_strings[random.NextInt(s_strings.Length)]),
            2 => random.NextInt(2) == 0
                ? json.Remove(random.NextInt(json.Length), 1)
                : json.Insert(random.NextInt(json.Length), "{}[],:\"0"[random.NextInt(8)].ToString()),
            3 => SafeTensorsTestFiles.ReplaceRandomRun(json, random, char.IsAsciiLetter, s_escapes[random.NextInt(s_escapes.Length)]),
            _ => RepeatOrDropEntry(json, random),
        };
        metadata[key] = json;
        var tensors = file.Names.Select(n => new KeyValuePair<string, Tensor>(n, file[n])).ToList();
        if (random.NextInt(8) == 0 && tensors.Count > 0)
        {
            tensors.RemoveAt(random.NextInt(tensors.Count));
        }

        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }
}
