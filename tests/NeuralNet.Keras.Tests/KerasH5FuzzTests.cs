using System.Runtime.InteropServices;
using System.Security.Cryptography;
using NeuralNet.Activations;
using NeuralNet.Keras.Tests.Fuzzing;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;
using Xunit.Abstractions;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// Seeded fuzzing of HDF5 files, as <see cref="KerasFileFuzzTests"/> fuzzes <c>.keras</c> archives: Keras 2 <c>.h5</c>
/// model files (h5py-written, <c>model_config</c> and <c>model_weights</c>) read by <see cref="KerasFormat.LoadModel(Stream, string)"/>
/// (weights by layer name) and <see cref="KerasFormat.LoadWeights"/> (by order), a Keras 2 weights-only file and Keras 3
/// <c>.weights.h5</c> files read by <see cref="KerasFormat.LoadWeights"/>, damaged in place (the JSON text of
/// <c>model_config</c>, a name in an attribute or a link, a dataspace's dimensions, a few bytes) or cut short. Only
/// <see cref="InvalidDataException"/> and <see cref="NotSupportedException"/> may escape, and a <c>LoadWeights</c> that
/// throws must leave every parameter of the model as it was, bit for bit.
/// </summary>
/// <remarks>
/// The seeds are fixed, and the files are the same in every run as long as the h5py and libhdf5 that write the Keras 2
/// originals are (h5py writes the same bytes for the same data; another libhdf5 version may lay a file out differently,
/// and the same seeds then damage other bytes). The test output logs each original's SHA-256,
/// to tell whether a run damaged the same files as another. Before the damaged files are loaded, every model that
/// <see cref="KerasFormat.LoadWeights"/> fills is given other values than its file holds, so that a load that wrote some
/// parameters and then threw is seen.
/// </remarks>
public sealed class KerasH5FuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Cases = 1500;
    private const int MutationKinds = 5;

    private static readonly string[] s_parseErrors = ["cannot be read as an HDF5 file", "not valid JSON", "model_config is not a JSON object", "is not a string", "cannot be read by PureHDF"];

    private readonly string _folder = Directory.CreateTempSubdirectory("neuralnet-h5-fuzz-").FullName;

    /// <summary>A file to damage: its bytes, its extension, the model_config text it holds, and the model LoadWeights fills.</summary>
    private sealed record Original(string Name, byte[] Bytes, string Extension, string? ModelConfig, Model? Target, string[] Names);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [H5pyFact]
    public void LoadModelAndLoadWeights_MutatedH5Files_OnlyDocumentedExceptionsOccurAndRefusalsChangeNothing()
    {
        Original[] originals = Originals();
        foreach (Original original in originals)
        {
            // Each must load undamaged, or the fuzzing would only test the first error.
            var check = new FuzzOutcomes();
            Run(check, original, original.Bytes, loadModel: original.ModelConfig is not null, "the undamaged file");
            check.AssertNone();
            Assert.Equal(1, check.Accepted);
            output.WriteLine($"{original.Name}: {original.Bytes.Length} bytes, SHA-256 {Convert.ToHexString(SHA256.HashData(original.Bytes))}");
            if (original.Target is Model target)
            {
                // The check that a refused load changes nothing can only fail when the model holds other values than the file.
                FillWithOtherValues(target);
                string path = Path.Combine(_folder, "undamaged" + original.Extension);
                File.WriteAllBytes(path, original.Bytes);
                KerasFormat.LoadWeights(target, path);
                Assert.All(target.Parameters, p => Assert.DoesNotContain(Sentinel, p.Value.AsReadOnlySpan().ToArray()));
                FillWithOtherValues(target);
            }
        }

        var outcomes = new FuzzOutcomes(s_parseErrors);
        var kinds = new int[MutationKinds];
        int cases = FuzzOutcomes.Cases(Cases), loadModel = 0;
        for (int i = 0; i < cases; i++)
        {
            (int kind, bool asModel) = RunCase(outcomes, originals, FuzzOutcomes.Seed(65_537, i), $"Case {i}");
            kinds[kind]++;
            loadModel += asModel ? 1 : 0;
        }

        outcomes.AssertNone();
        output.WriteLine($"{cases} cases ({loadModel} LoadModel, {cases - loadModel} LoadWeights): {outcomes}; per mutation kind: {string.Join(", ", kinds)}");
        Assert.True(outcomes.RejectedPastParsing > cases / 5, $"only {outcomes.RejectedPastParsing} of {outcomes.Rejected} rejections came after the file was parsed");
        Assert.True(outcomes.Accepted > cases / 50, $"only {outcomes.Accepted} mutations loaded: the fuzzer hardly reaches past validation");
    }

    [H5pyFact]
    public void LoadModelAndLoadWeights_Keras2NestedKernelWithADimensionOfZero_AreRefusedNamingTheDataset()
    {
        // Found by a 30,000-case run: the nested group's shapes were compared through a TensorShape made from the
        // dataspace, which refused (4, 0) with an ArgumentException.
        Original original = Keras2("zero.h5", Keras2Nested(), Keras2Configs.NestedSequentialWithoutInputLayer, seed: 101, groupOf: layer => layer == "dense" ? "head" : layer);
        byte[] bytes = [.. original.Bytes];
        var kernel = Hdf5Mutations.DataspaceSites(bytes).Single(s => s.Rank == 2 && BitConverter.ToUInt64(bytes, s.Offset) == 4 && BitConverter.ToUInt64(bytes, s.Offset + 8) == 3);
        BitConverter.GetBytes(0UL).CopyTo(bytes, kernel.Offset + 8);
        string path = Path.Combine(_folder, "zero-damaged.h5");
        File.WriteAllBytes(path, bytes);
        FillWithOtherValues(original.Target!);
        float[][] before = [.. original.Target!.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray())];

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(new MemoryStream(bytes, writable: false), "zero.h5"));
        Assert.Contains("dataset 'model_weights/head/dense/kernel:0' has shape (4, 0) but the parameter is (4, 3)", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(original.Target, path));
        Assert.Contains("has shape (4, 0)", error.Message, StringComparison.Ordinal);
        Assert.All(original.Target.Parameters, (p, i) => Assert.True(SameBits(before[i], p.Value.AsReadOnlySpan())));

    }

    [H5pyTheory]
    // A damaged Keras 3 weights file (SaveWeights' bytes, not h5py's) with a soft link that leads back into itself in a
    // group whose links PureHDF holds in memory: PureHDF recursed without reading the file until the stack overflowed
    // and the test process died (a 30,000-case run, session 38). StackGuardCulture ends the recursion.
    [InlineData(1_066_210, "'/layers/dense_1/vars/' cannot be followed (the file's links lead too deep")]
    // A damaged variable-length string in a Keras 2 weights file's weight_names, which PureHDF read as a null entry: a
    // NullReferenceException when the names were counted (a 15,000-case run, session 39).
    [InlineData(2_070_887, "attribute 'weight_names' of '/batch_normalization' is not a list of strings (entry 1 of 4 holds no string)")]
    public void LoadModelAndLoadWeights_CasesByHandRunsFound_AreRefusedNamingTheDamage(int seed, string message)
    {
        var outcomes = new FuzzOutcomes(s_parseErrors);

        RunCase(outcomes, Originals(), seed, $"Seed {seed}");

        outcomes.AssertNone();
        Assert.Equal(1, outcomes.Rejected);
        Assert.True(outcomes.Rejections[0].Contains(message, StringComparison.Ordinal), outcomes.Rejections[0]);
    }

    private Original[] Originals() =>
    [
        Keras2("keras2-sequential.h5", Keras2Sequential(), Keras2Configs.Sequential, seed: 51),
        Keras2("keras2-functional.h5", Keras2Functional(), Keras2Configs.Functional, seed: 61),
        Keras2("keras2-nested.h5", Keras2Nested(), Keras2Configs.NestedSequentialWithoutInputLayer, seed: 101, groupOf: layer => layer == "dense" ? "head" : layer),
        Keras2("keras2-weights.h5", Keras2Sequential(), modelConfig: null, seed: 71),
        Keras3Weights("mlp.weights.h5", Mlp()),
        Keras3Weights("recurrent.weights.h5", Recurrent()),
    ];

    // One case of the fuzzing: the seed picks the file, the damage and the loader.
    private (int Kind, bool AsModel) RunCase(FuzzOutcomes outcomes, Original[] originals, int seed, string what)
    {
        var random = new Random(seed);
        Original original = originals[random.Next(originals.Length)];
        int kind = random.Next(MutationKinds);
        byte[] mutated = kind switch
        {
            0 when original.ModelConfig is not null => Hdf5Mutations.MutateText(original.Bytes, original.ModelConfig, random),
            < 2 => Hdf5Mutations.MutateName(original.Bytes, original.Names, random),
            2 => Hdf5Mutations.MutateShape(original.Bytes, random),
            3 => ByteMutations.Overwrite(original.Bytes, random),
            _ => ByteMutations.Mutate(original.Bytes, random),
        };
        bool asModel = original.ModelConfig is not null && random.Next(2) == 0;
        Run(outcomes, original, mutated, asModel, $"{what} ({original.Name}, mutation {kind}, {(asModel ? "LoadModel" : "LoadWeights")})");
        return (kind, asModel);
    }

    private void Run(FuzzOutcomes outcomes, Original original, byte[] bytes, bool loadModel, string what)
    {
        if (loadModel)
        {
            Model? model = null;
            if (outcomes.TryLoad(what, original.Name, () => model = KerasFormat.LoadModel(new MemoryStream(bytes, writable: false), original.Name)))
            {
                outcomes.Use(what, () => Predict(model!));
            }

            return;
        }

        Model target = original.Target!;
        string path = Path.Combine(_folder, "fuzz" + original.Extension);
        File.WriteAllBytes(path, bytes);
        float[][] before = [.. target.Parameters.Select(p => p.Value.AsReadOnlySpan().ToArray())];
        if (outcomes.TryLoad(what, path, () => KerasFormat.LoadWeights(target, path)))
        {
            outcomes.Use(what, () => Predict(target));
        }
        else if (target.Parameters.Select((p, i) => (p, i)).FirstOrDefault(x => !SameBits(before[x.i], x.p.Value.AsReadOnlySpan())).p is Parameter changed)
        {
            outcomes.Fail("changed " + original.Name, $"{what}: LoadWeights threw but changed parameter '{changed.Name}' {changed.Shape}");
        }

        // The next case starts from the same weights (other values than the file's), whatever this one loaded.
        for (int i = 0; i < before.Length; i++)
        {
            before[i].CopyTo(target.Parameters[i].Value.AsSpan());
        }
    }

    // A value no file holds: Keras2Files and SaveWeights write seeded random weights, zeros and ones.
    private const float Sentinel = -0.4375f;

    private static void FillWithOtherValues(Model model)
    {
        foreach (Parameter parameter in model.Parameters)
        {
            parameter.Value.AsSpan().Fill(Sentinel);
        }
    }

    private static bool SameBits(float[] a, ReadOnlySpan<float> b) => MemoryMarshal.AsBytes(a.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b));

    private static void Predict(Model model)
    {
        Tensor y = model.Predict(new Tensor(new TensorShape([2, .. model.InputShape.Dimensions])));
        Assert.Equal(2, y.Shape[0]);
    }

    private Original Keras2(string name, Model model, string? modelConfig, long seed, Func<string, string>? groupOf = null)
    {
        string path = Keras2Files.Write(model, Path.Combine(_folder, name), modelConfig, modelConfig is null ? string.Empty : "model_weights", seed, groupOf);
        byte[] bytes = File.ReadAllBytes(path);
        IEnumerable<string> roots = modelConfig is null ? model.Layers.Where(l => l.Parameters.Count > 0).Select(l => groupOf?.Invoke(l.Name) ?? l.Name) : ["model_weights"];
        string[] names = Hdf5Names.Of(bytes, roots.Distinct(), "layer_names", "weight_names", "model_config", "keras_version", "backend");
        return new Original(name, bytes, ".h5", modelConfig, model, names);
    }

    private Original Keras3Weights(string name, Model model)
    {
        string path = Path.Combine(_folder, name);
        KerasFormat.SaveWeights(model, path);
        byte[] bytes = File.ReadAllBytes(path);
        return new Original(name, bytes, ".weights.h5", null, model, Hdf5Names.Of(bytes, ["layers", "vars"]));
    }

    // The models of KerasFormatTests' Keras 2 tests, in the layers and names of the configs in Keras2Configs.
    private static Sequential Keras2Sequential() => new(
    [
        new Input(4).Layer, new Dense(8, ActivationFunction.Relu, name: "dense"), new BatchNormalization(name: "batch_normalization"),
        new Dropout(0.5, name: "dropout"), new Dense(3, ActivationFunction.Softmax, name: "dense_1"),
    ]);

    private static Functional Keras2Functional()
    {
        var ids = new Input(new TensorShape(5), "ids");
        SymbolicTensor h = new Lstm(3, name: "lstm").Call(new Embedding(10, 4, name: "embedding").Call(ids));
        return new Functional(ids, new Concatenate(name: "concatenate").Call(
            new Dense(2, ActivationFunction.Relu, name: "dense").Call(h), new Dense(2, ActivationFunction.Tanh, name: "dense_1").Call(h)));
    }

    private static Functional Keras2Nested()
    {
        var input = new Input(new TensorShape(4), "input_3");
        return new Functional(input, new Dense(1, name: "dense_1").Call(new Dense(3, ActivationFunction.Relu, name: "dense").Call(input)));
    }

    private static Sequential Mlp()
    {
        var model = new Sequential([new InputLayer(8)], seed: 1);
        model.Add(new Dense(6, ActivationFunction.Relu));
        model.Add(new BatchNormalization());
        model.Add(new Dense(3, ActivationFunction.Softmax));
        return model;
    }

    private static Sequential Recurrent()
    {
        var model = new Sequential([new InputLayer(5, 3)], seed: 2);
        model.Add(new Lstm(4, returnSequences: true));
        model.Add(new Gru(3));
        model.Add(new Dense(2));
        return model;
    }
}
