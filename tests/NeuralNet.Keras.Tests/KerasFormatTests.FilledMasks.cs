using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// Masks Keras filled into layer calls from the masks their inputs carry, written with the operations that made them
/// (not_equal, any) as items of the layer list: archives of the common masked text models.
/// </summary>
public sealed partial class KerasFormatTests
{
    private static JsonObject KerasTensor(string layer, string dtype, params int?[] shape) => new()
    {
        ["class_name"] = "__keras_tensor__",
        ["config"] = new JsonObject
        {
            ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode?)d)]),
            ["dtype"] = dtype,
            ["keras_history"] = new JsonArray(layer, 0, 0),
        },
    };

    // An operation item as Keras' Functional.get_config writes one (serialize_keras_object of the Operation).
    private static JsonObject Operation(string className, string name, JsonObject config, params JsonNode?[] args)
    {
        config["name"] = name;
        return new JsonObject
        {
            ["module"] = "keras.src.ops.numpy",
            ["class_name"] = className,
            ["config"] = config,
            ["registered_name"] = className,
            ["name"] = name,
            ["inbound_nodes"] = new JsonArray(new JsonObject { ["args"] = new JsonArray(args), ["kwargs"] = new JsonObject() }),
        };
    }

    private static JsonObject LayerItem(JsonObject root, string name) =>
        root["config"]!["layers"]!.AsArray().Single(l => (string?)l!["config"]!["name"] == name)!.AsObject();

    // Saves the model as a .keras archive, then rewrites its config.json (and the Keras version) as a Keras release would.
    private string KerasArchiveOf(Model model, string name, string kerasVersion, Action<JsonObject> edit)
    {
        string path = Path.Combine(_folder, name);
        KerasFormat.SaveModel(model, path);
        using ZipArchive archive = ZipFile.Open(path, ZipArchiveMode.Update);
        JsonObject root;
        using (var reader = new StreamReader(archive.GetEntry("config.json")!.Open()))
        {
            root = JsonNode.Parse(reader.ReadToEnd())!.AsObject();
        }

        edit(root);
        archive.GetEntry("config.json")!.Delete();
        using (var writer = new StreamWriter(archive.CreateEntry("config.json").Open()))
        {
            writer.Write(root.ToJsonString());
        }

        archive.GetEntry("metadata.json")!.Delete();
        using (var writer = new StreamWriter(archive.CreateEntry("metadata.json").Open()))
        {
            writer.Write($$"""{"keras_version": "{{kerasVersion}}", "date_saved": "2026-12-06@10:00:00"}""");
        }

        return path;
    }

    private static Tensor PaddedIds(int batch, int steps, int vocabulary, int seed)
    {
        var random = new Random(seed);
        var ids = new Tensor(new TensorShape(batch, steps));
        Span<float> values = ids.AsSpan();
        for (int b = 0; b < batch; b++)
        {
            int length = 1 + random.Next(steps);
            for (int t = 0; t < length; t++)
            {
                values[(b * steps) + t] = 1 + random.Next(vocabulary - 1);
            }
        }

        return ids;
    }

    [Theory]
    [InlineData("3.5.0")]
    [InlineData("3.12.0")]
    public void LoadModel_MaskFilledFromEmbeddingMaskZero_ReadsAsTheCarriedMask(string kerasVersion)
    {
        // inputs -> Embedding(mask_zero=True) -> LSTM -> Dense: Keras recorded lstm(x, mask=not_equal(ids, 0)).
        var ids = new Input(new TensorShape(6), "ids");
        SymbolicTensor embedded = new Embedding(12, 4, maskZero: true, name: "embedding").Call(ids);
        var model = new Functional(ids, new Dense(2, name: "head").Call(new Lstm(5, name: "lstm").Call(embedded)), seed: 11);
        string path = KerasArchiveOf(model, $"masked-lstm-{kerasVersion}.keras", kerasVersion, root =>
        {
            JsonArray layers = root["config"]!["layers"]!.AsArray();
            layers.Insert(2, Operation("NotEqual", "not_equal", new JsonObject(), KerasTensor("ids", "int32", null, 6), 0));
            LayerItem(root, "lstm")["inbound_nodes"]![0]!["kwargs"]!["mask"] = KerasTensor("not_equal", "bool", null, 6);
        });

        Model loaded = KerasFormat.LoadModel(path);

        Tensor x = PaddedIds(5, 6, 12, seed: 3);
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
        Assert.DoesNotContain(loaded.Layers, l => l.Name == "not_equal");
    }

    [Fact]
    public void LoadModel_MasksFilledFromMaskingIntoAttentionAndPooling_ReadAsTheCarriedMasks()
    {
        // Masking -> self-attention mha(x, x) -> GlobalAveragePooling1D: Keras filled query_mask, value_mask and the
        // pooling's mask with any(not_equal(x, 0.5), axis=-1).
        var x = new Input(new TensorShape(5, 3), "x");
        SymbolicTensor masked = new Masking(0.5f, name: "masking").Call(x);
        SymbolicTensor attended = new MultiHeadAttention(2, 2, name: "mha").Call(masked, masked);
        var model = new Functional(x, new Dense(1, name: "head").Call(new GlobalAveragePooling1D(name: "pool").Call(attended)), seed: 5);
        string path = KerasArchiveOf(model, "masked-attention.keras", "3.8.0", root =>
        {
            JsonArray layers = root["config"]!["layers"]!.AsArray();
            layers.Insert(2, Operation("NotEqual", "not_equal", new JsonObject(), KerasTensor("x", "float32", null, 5, 3), 0.5));
            layers.Insert(3, Operation("Any", "any", new JsonObject { ["axis"] = -1, ["keepdims"] = false }, KerasTensor("not_equal", "bool", null, 5, 3)));
            JsonObject mha = LayerItem(root, "mha")["inbound_nodes"]![0]!["kwargs"]!.AsObject();
            mha["query_mask"] = KerasTensor("any", "bool", null, 5);
            mha["value_mask"] = KerasTensor("any", "bool", null, 5);
            LayerItem(root, "pool")["inbound_nodes"]![0]!["kwargs"]!["mask"] = KerasTensor("any", "bool", null, 5);
        });

        Model loaded = KerasFormat.LoadModel(path);

        Tensor input = Tensor.RandomNormal(new TensorShape(4, 5, 3), seed: 8);
        Span<float> values = input.AsSpan();
        values.Slice(3 * 3, 6).Fill(0.5f); // steps 3 and 4 of the first sample are masked
        values.Slice((15 + 4) * 3, 3).Fill(0.5f);
        Assert.Equal(model.Predict(input).ToArray(), loaded.Predict(input).ToArray());
        Assert.DoesNotContain(loaded.Layers, l => l.Name is "not_equal" or "any");
    }

    [Fact]
    public void LoadModel_MaskFilledAfterResidualAdd_ReadsTheMergedMask()
    {
        // An encoder block: x = Embedding(mask_zero)(ids); y = LayerNormalization()(Add()([x, mha(x, x)])), pooled.
        // Keras filled mha's query_mask and value_mask with not_equal(ids, 0) and the pooling's mask with Add's
        // compute_mask, logical_or(not_equal, not_equal).
        var ids = new Input(new TensorShape(6), "ids");
        SymbolicTensor x = new Embedding(12, 4, maskZero: true, name: "embedding").Call(ids);
        SymbolicTensor attended = new MultiHeadAttention(2, 2, name: "mha").Call(x, x);
        SymbolicTensor block = new LayerNormalization(name: "norm").Call(new Add(name: "residual").Call(x, attended));
        var model = new Functional(ids, new Dense(2, name: "head").Call(new GlobalAveragePooling1D(name: "pool").Call(block)), seed: 13);
        string path = KerasArchiveOf(model, "masked-encoder.keras", "3.12.0", root =>
        {
            JsonArray layers = root["config"]!["layers"]!.AsArray();
            layers.Insert(2, Operation("NotEqual", "not_equal", new JsonObject(), KerasTensor("ids", "int32", null, 6), 0));
            layers.Insert(3, Operation("LogicalOr", "logical_or", new JsonObject(), KerasTensor("not_equal", "bool", null, 6), KerasTensor("not_equal", "bool", null, 6)));
            JsonObject mha = LayerItem(root, "mha")["inbound_nodes"]![0]!["kwargs"]!.AsObject();
            mha["query_mask"] = KerasTensor("not_equal", "bool", null, 6);
            mha["value_mask"] = KerasTensor("not_equal", "bool", null, 6);
            LayerItem(root, "pool")["inbound_nodes"]![0]!["kwargs"]!["mask"] = KerasTensor("logical_or", "bool", null, 6);
        });

        Model loaded = KerasFormat.LoadModel(path);

        Tensor input = PaddedIds(5, 6, 12, seed: 9);
        Assert.Equal(model.Predict(input).ToArray(), loaded.Predict(input).ToArray());
    }

    [Theory]
    [InlineData("unrelated")]
    [InlineData("other value")]
    [InlineData("past conv")]
    public void LoadModel_MaskNotCarriedByTheCallsInputs_IsStillRefused(string edit)
    {
        // A mask the user computed: not_equal(ids, 0) passed to an LSTM whose sequence does not come from ids, or
        // Masking's any(not_equal(x, v)) with another value than the layer's. NeuralNet would not carry it: refused.
        var ids = new Input(new TensorShape(6), "ids");
        var other = new Input(new TensorShape(6), "other");
        SymbolicTensor embedded = new Embedding(12, 4, maskZero: true, name: "embedding").Call(ids);
        SymbolicTensor pooled = new GlobalAveragePooling1D(name: "pool").Call(new Conv1D(4, 1, name: "conv").Call(embedded));
        SymbolicTensor sequence = new Masking(0f, name: "masking").Call(new Embedding(12, 4, name: "plain").Call(other));
        var model = new Functional([ids, other], [pooled, new Lstm(3, name: "lstm").Call(sequence)], seed: 2);
        string path = KerasArchiveOf(model, $"user-mask-{edit.Replace(' ', '-')}.keras", "3.5.0", root =>
        {
            JsonArray layers = root["config"]!["layers"]!.AsArray();
            if (edit == "past conv")
            {
                // Keras' masking guide: lstm(conv(embedding(ids)), mask=embedding.compute_mask(ids)); Conv1D drops the
                // carried mask (in Keras and here), so the mask reaches the LSTM only as the user passed it.
                LayerItem(root, "lstm")["inbound_nodes"]![0]!["args"]![0] = KerasTensor("conv", "float32", null, 6, 4);
                layers.Insert(2, Operation("NotEqual", "not_equal", new JsonObject(), KerasTensor("ids", "int32", null, 6), 0));
                LayerItem(root, "lstm")["inbound_nodes"]![0]!["kwargs"]!["mask"] = KerasTensor("not_equal", "bool", null, 6);
            }
            else if (edit == "unrelated")
            {
                layers.Insert(2, Operation("NotEqual", "not_equal", new JsonObject(), KerasTensor("ids", "int32", null, 6), 0));
                LayerItem(root, "lstm")["inbound_nodes"]![0]!["kwargs"]!["mask"] = KerasTensor("not_equal", "bool", null, 6);
            }
            else
            {
                layers.Insert(2, Operation("NotEqual", "not_equal", new JsonObject(), KerasTensor("plain", "float32", null, 6, 4), 1));
                layers.Insert(3, Operation("Any", "any", new JsonObject { ["axis"] = -1, ["keepdims"] = false }, KerasTensor("not_equal", "bool", null, 6, 4)));
                LayerItem(root, "lstm")["inbound_nodes"]![0]!["kwargs"]!["mask"] = KerasTensor("any", "bool", null, 6);
            }
        });

        // Since session 39 NeuralNet reads not_equal (as a Comparison), so the mask keyword itself is refused; Masking's
        // any() is still an operation it does not read.
        if (edit == "other value")
        {
            Assert.Contains("'any' is a Keras operation", Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(path)).Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("('lstm', LSTM).inbound_nodes[0]: passes \"mask\" by keyword, which NeuralNet does not read", Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(path)).Message, StringComparison.Ordinal);
        }
    }
}
