using System.Text;
using NeuralNet.Keras.Tests.Fuzzing;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Archives in Keras' own forms that SaveModel does not write: models nested in the model (a Functional and a Sequential
// inside), string preprocessors with their vocabulary assets (an adapted TextVectorization in int and TF-IDF mode, an
// IntegerLookup in a nested model), and, from the trained models of the test above, the optimizer's variables; damaged
// in config.json, in assets/.../vocabulary.txt, and in model.weights.h5 in place (a dataspace's dimensions, a group or
// dataset name, bytes) or cut short.
public sealed partial class KerasFileFuzzTests
{
    private const int NestedAndAssetCases = 2000;
    private const int NestedAndAssetKinds = 11;

    [Fact]
    public void LoadModel_MutatedNestedModelAssetAndOptimizerArchives_OnlyDocumentedExceptionsOccur()
    {
        byte[][] originals =
        [
            KerasArchiveOf(KerasConfigs.NestedFunctional, [("layers/functional/layers/dense", [4, 3], [3]), ("layers/functional/layers/dense_1", [3, 2], [2]), ("layers/dense", [2, 1], [1])], [], []),
            KerasArchiveOf(KerasConfigs.NestedSequential, [("layers/sequential/layers/dense", [4, 3], [3]), ("layers/dense", [3, 1], [1])], [], []),
            KerasArchiveOf(KerasConfigs.EndToEndText, [("layers/sequential/layers/dense", [2, 1], [1])], [("layers/sequential/layers/embedding/vars/0", [6, 2])],
                KerasFormatTests.VectorizerAssets("\n[UNK]\nthe\ncat\nsat\non")),
            KerasArchiveOf(KerasConfigs.SequentialOver("string", [1], KerasConfigs.TextVectorization("tf_idf", null, 4), 4), [("layers/dense", [4, 1], [1])],
                [("layers/text_vectorization/vars/idf_weights", [4]), ("layers/text_vectorization/_lookup_layer/vars/idf_weights", [4])], KerasFormatTests.VectorizerAssets("[UNK]\nthe\ncat\nsat")),
            KerasArchiveOf(KerasConfigs.NestedLookup(KerasConfigs.Lookup("IntegerLookup", "integer_lookup", "multi_hot", "null", 4), 4), [("layers/dense", [4, 1], [1])], [],
                [("assets/layers/sequential/layers/integer_lookup/vocabulary.txt", "-1\n3\n2\n1")]),
            Archive(Mlp()).Archive, Archive(Graph()).Archive,
        ];
        foreach (byte[] original in originals)
        {
            // Each must load undamaged, or the fuzzing would only test the first error.
            var check = new FuzzOutcomes();
            LoadAndPredict(check, "the undamaged archive", original, undamaged: true);
            check.AssertNone();
            Assert.Equal(1, check.Accepted);
        }

        string[][] names = [.. originals.Select(WeightNames)];
        var outcomes = new FuzzOutcomes(s_parseErrors);
        var kinds = new int[NestedAndAssetKinds];
        int cases = FuzzOutcomes.Cases(NestedAndAssetCases);
        for (int i = 0; i < cases; i++)
        {
            var random = new Random(FuzzOutcomes.Seed(104_729, i));
            int which = random.Next(originals.Length);
            int kind = random.Next(NestedAndAssetKinds);
            kinds[kind]++;
            byte[] mutated = MutateNestedOrAssets(originals[which], names[which], kind, random);
            LoadAndPredict(outcomes, $"Case {i} (archive {which}, mutation {kind})", mutated);
        }

        outcomes.AssertNone();
        output.WriteLine($"{cases} cases: {outcomes}; per mutation kind: {string.Join(", ", kinds)}");
        Assert.True(outcomes.Rejected > cases / 2, $"only {outcomes.Rejected} of {cases} mutations were rejected");
        Assert.True(outcomes.RejectedPastParsing > cases / 5, $"only {outcomes.RejectedPastParsing} of {outcomes.Rejected} rejections came after the JSON was parsed");
        Assert.True(outcomes.Accepted > cases / 50, $"only {outcomes.Accepted} mutations loaded: the fuzzer hardly reaches past validation");
    }

    private static byte[] MutateNestedOrAssets(byte[] archive, string[] names, int kind, Random random)
    {
        string[] assets = [.. ArchiveEntries.Names(archive).Where(n => n.StartsWith("assets/", StringComparison.Ordinal))];
        return kind switch
        {
            < 5 => ArchiveEntries.WithEntry(archive, "config.json", text => TextMutations.MutateJson(text, kind, random)),
            5 => ArchiveEntries.WithEntryBytes(archive, "model.weights.h5", bytes => ByteMutations.Mutate(bytes, random)),
            6 => ArchiveEntries.WithEntryBytes(archive, "model.weights.h5", bytes => Hdf5Mutations.MutateShape(bytes, random)),
            7 => ArchiveEntries.WithEntryBytes(archive, "model.weights.h5", bytes => Hdf5Mutations.MutateName(bytes, names, random)),
            8 => ArchiveEntries.WithEntryBytes(archive, "model.weights.h5", bytes => ByteMutations.Overwrite(bytes, random)),
            9 when assets.Length > 0 => ArchiveEntries.WithEntryBytes(archive, assets[random.Next(assets.Length)], bytes => TextMutations.MutateLines(bytes, random)),
            9 => ArchiveEntries.WithEntry(archive, "metadata.json", text => TextMutations.MutateJson(text, random.Next(TextMutations.JsonKinds), random)),
            _ => ByteMutations.Mutate(archive, random),
        };
    }

    private static string[] WeightNames(byte[] archive)
    {
        using var zip = new System.IO.Compression.ZipArchive(new MemoryStream(archive, writable: false));
        using var weights = new MemoryStream();
        using (Stream entry = zip.GetEntry(KerasArchive.WeightsEntry)!.Open())
        {
            entry.CopyTo(weights);
        }

        return Hdf5Names.Of(weights.ToArray(), ["layers", "optimizer", "vars"]);
    }

    /// <summary>
    /// An archive of a config in Keras' form (keras_version 3.12.0), its weights (each layer's kernel and bias, then other
    /// datasets) seeded random values written the way Keras' H5IOStore lays them out, and its text assets.
    /// </summary>
    private static byte[] KerasArchiveOf(string config, (string Group, int[] Kernel, int[] Bias)[] layers, (string Path, int[] Shape)[] others, (string Entry, string Text)[] assets)
    {
        long seed = 1;
        var datasets = new List<(string Path, Tensor Value, bool IsInteger)>();
        foreach (var (group, kernel, bias) in layers)
        {
            datasets.Add((group + "/vars/0", Tensor.RandomNormal(new TensorShape(kernel), seed++, 0f, 0.5f), false));
            datasets.Add((group + "/vars/1", Tensor.RandomNormal(new TensorShape(bias), seed++, 0f, 0.5f), false));
        }

        // IDF weights and embeddings alike: positive values.
        datasets.AddRange(others.Select(o => (o.Path, Tensor.RandomUniform(new TensorShape(o.Shape), seed++, 0.25f, 2f), false)));
        // Copies of one layer's idf weights must be equal (Keras writes the same values twice).
        datasets = [.. datasets.Select(d => d.Path.EndsWith("_lookup_layer/vars/idf_weights", StringComparison.Ordinal)
            ? (d.Path, datasets.Single(e => e.Path == d.Path.Replace("/_lookup_layer", string.Empty, StringComparison.Ordinal)).Value, false) : d)];
        using var weights = new MemoryStream();
        H5WeightsWriter.Write(weights, ["vars", "layers"], datasets);
        return ArchiveEntries.Create(
        [
            ("metadata.json", Encoding.UTF8.GetBytes("""{"keras_version": "3.12.0", "date_saved": "2026-12-06@00:00:00"}""")),
            ("config.json", Encoding.UTF8.GetBytes(config)),
            ("model.weights.h5", weights.ToArray()),
            .. assets.Select(a => (a.Entry, Encoding.UTF8.GetBytes(a.Text))),
        ]);
    }
}
