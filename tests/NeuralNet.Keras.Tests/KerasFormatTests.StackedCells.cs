using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>Keras' RNN over StackedRNNCells, read as the cells' layers in a row.</summary>
public sealed partial class KerasFormatTests
{
    [H5pyTheory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void LoadModel_StackedSimpleRnnCells_ComputesKerasStackedStep(bool returnSequences, bool goBackwards)
    {
        // RNN(StackedRNNCells([SimpleRNNCell(3), SimpleRNNCell(2)])): saving_lib names the list's cells by class, so the
        // weights are layers/rnn/cell/cells/simple_rnn_cell/vars/0..2 (kernel, recurrent kernel, bias), then simple_rnn_cell_1.
        string config = KerasConfigs.Sequential(4, 2, ("RNN", KerasConfigs.StackedRnnConfig("rnn",
            [KerasConfigs.Cell("SimpleRNNCell", "simple_rnn_cell", 3), KerasConfigs.Cell("SimpleRNNCell", "simple_rnn_cell_1", 2)], returnSequences, goBackwards)));
        float[][] w = [.. new[] { 6, 9, 3, 6, 4, 2 }.Select((n, i) => Tensor.RandomNormal(new TensorShape(n), seed: 70 + i, 0f, 0.6f).ToArray())];
        string cells = "layers/rnn/cell/cells/";
        string archive = WriteArchive($"stacked-{returnSequences}-{goBackwards}.keras", config,
            ["", "layers/rnn", "layers/rnn/cell", cells + "simple_rnn_cell", cells + "simple_rnn_cell_1"],
        [
            (cells + "simple_rnn_cell/vars/0", Tensor.FromArray(w[0], 2, 3)), (cells + "simple_rnn_cell/vars/1", Tensor.FromArray(w[1], 3, 3)),
            (cells + "simple_rnn_cell/vars/2", Tensor.FromArray(w[2], 3)), (cells + "simple_rnn_cell_1/vars/0", Tensor.FromArray(w[3], 3, 2)),
            (cells + "simple_rnn_cell_1/vars/1", Tensor.FromArray(w[4], 2, 2)), (cells + "simple_rnn_cell_1/vars/2", Tensor.FromArray(w[5], 2)),
        ]);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 4, 2), seed: 77);

        Model model = KerasFormat.LoadModel(archive);

        // Keras' step, by hand: each step through cell 1 then cell 2, states carried per cell; go_backwards reads x from
        // its last step and (rnn.py, backend.rnn) returns the outputs in the order the steps ran.
        float[] xs = x.ToArray();
        var expected = new List<float>();
        for (int b = 0; b < 3; b++)
        {
            float[] h1 = new float[3], h2 = new float[2];
            var outputs = new List<float[]>();
            for (int s = 0; s < 4; s++)
            {
                int t = goBackwards ? 3 - s : s;
                h1 = SimpleStep(xs.AsSpan(((b * 4) + t) * 2, 2), h1, w[0], w[1], w[2]);
                h2 = SimpleStep(h1, h2, w[3], w[4], w[5]);
                outputs.Add(h2);
            }

            expected.AddRange(returnSequences ? outputs.SelectMany(o => o) : outputs[^1]);
        }

        Assert.Equal(["rnn_simple_rnn_cell", "rnn"], model.Layers.Where(l => l is SimpleRnn).Select(l => l.Name));
        Assert.Equal(goBackwards, ((SimpleRnn)model.GetLayer("rnn_simple_rnn_cell")).GoBackwards);
        Assert.False(((SimpleRnn)model.GetLayer("rnn")).GoBackwards);
        float[] actual = model.Predict(x).ToArray();
        Assert.Equal(expected.Count, actual.Length);
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 1e-5f));
    }

    [H5pyFact]
    public void LoadModel_StackedCellsInFunctionalModel_AreLayersInARowWhoseLastFeedsTheNextLayers()
    {
        // FunctionalSequenceModel with its LSTM(5) replaced by RNN(StackedRNNCells([LSTMCell(4), GRUCell(3), LSTMCell(5)]),
        // return_sequences=True) keeping the name "lstm": its group is layers/rnn (by class), its cells' groups lstm_cell,
        // gru_cell, lstm_cell_1 (by class within the list); the Bidirectional after it still reads "lstm".
        var root = (JsonObject)JsonNode.Parse(KerasConfigs.FunctionalSequenceModel)!;
        JsonArray layers = root["config"]!["layers"]!.AsArray();
        var lstm = (JsonObject)layers.Single(i => (string?)i!["name"] == "lstm")!;
        var reference = (JsonObject)root.DeepClone();
        lstm["class_name"] = "RNN";
        lstm["config"] = JsonNode.Parse(KerasConfigs.StackedRnnConfig("lstm",
            [KerasConfigs.Cell("LSTMCell", "lstm_cell", 4), KerasConfigs.Cell("GRUCell", "gru_cell", 3), KerasConfigs.Cell("LSTMCell", "lstm_cell_1", 5)], returnSequences: true));

        // The reference: the same model written with LSTM(4), GRU(3) and LSTM(5) layers, each returning its sequence.
        JsonArray referenceLayers = reference["config"]!["layers"]!.AsArray();
        var last = (JsonObject)referenceLayers.Single(i => (string?)i!["name"] == "lstm")!;
        int at = referenceLayers.IndexOf(last);
        JsonObject first = Chained(last, "lstm_lstm_cell", "LSTM", 4, input: null), second = Chained(last, "lstm_gru_cell", "GRU", 3, input: "lstm_lstm_cell");
        ((JsonObject)last["inbound_nodes"]![0]!["args"]![0]!["config"]!)["keras_history"] = new JsonArray("lstm_gru_cell", 0, 0);
        last["config"]!["zero_output_for_mask"] = false;
        referenceLayers.Insert(at, second);
        referenceLayers.Insert(at, first);
        Model referenceModel = Model.FromJson(reference.ToJsonString());
        (string Path, string Tensor)[] paths =
        [
            .. new[] { ("lstm_cell", "lstm_lstm_cell"), ("gru_cell", "lstm_gru_cell"), ("lstm_cell_1", "lstm") }.SelectMany(c =>
                new[] { "kernel", "recurrent_kernel", "bias" }.Select((p, i) => ($"layers/rnn/cell/cells/{c.Item1}/vars/{i}", $"{c.Item2}/{p}"))),
            .. s_functionalPaths.Where(p => !p.Path.StartsWith("layers/lstm/", StringComparison.Ordinal)),
        ];
        var values = RandomValues(referenceModel, paths, seed: 91);
        string[] groups = [.. s_functionalGroups.Where(g => !g.StartsWith("layers/lstm", StringComparison.Ordinal)), "layers/rnn", "layers/rnn/cell",
            "layers/rnn/cell/cells/lstm_cell", "layers/rnn/cell/cells/gru_cell", "layers/rnn/cell/cells/lstm_cell_1"];
        string archive = WriteArchive("stacked-functional.keras", root.ToJsonString(), groups, paths.Select(p => (p.Path, values[p.Tensor])));

        Model model = KerasFormat.LoadModel(archive);

        Assert.IsType<Lstm>(model.GetLayer("lstm_lstm_cell"));
        Assert.True(Assert.IsType<Gru>(model.GetLayer("lstm_gru_cell")).ReturnSequences);
        Assert.True(Assert.IsType<Lstm>(model.GetLayer("lstm")).ReturnSequences);
        SetParameters(referenceModel, values);
        Tensor x = Tensor.RandomNormal(new TensorShape(5, 6, 3), seed: 93);
        float[] expected = referenceModel.Predict(x).ToArray();
        Assert.Equal(expected, model.Predict(x).ToArray());

        // Saved again, the cells are written as the layers they became, which load back the same.
        string saved = Path.Combine(_folder, "stacked-saved.keras");
        KerasFormat.SaveModel(model, saved);
        Assert.Equal(expected, KerasFormat.LoadModel(saved).Predict(x).ToArray());
    }

    [Theory]
    [InlineData("no_cells", "holds no cells")]
    [InlineData("user_cell", "holds a cell of class \"MyCell\"")]
    public void LoadModel_StackedCellsThatDoNotMapToLayers_AreRefusedNamingTheLayer(string problem, string message)
    {
        string[] cells = problem switch
        {
            "no_cells" => [],
            "user_cell" => [KerasConfigs.Cell("SimpleRNNCell", "a", 2), """{"module": "my_cells", "class_name": "MyCell", "config": {"units": 2}, "registered_name": "MyPackage>MyCell"}"""],
            _ => [KerasConfigs.Cell("SimpleRNNCell", "a", 2), KerasConfigs.Cell("GRUCell", "b", 2)],
        };
        string rnn = KerasConfigs.StackedRnnConfig("stack", cells, returnSequences: false, goBackwards: false, returnState: false);
        string config = KerasConfigs.Sequential(4, 2, ("RNN", rnn));

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(Zip(("config.json", config)), "stacked.keras"));

        Assert.StartsWith("stacked.keras: config.json: layer 'stack' (RNN over StackedRNNCells) " + message, error.Message, StringComparison.Ordinal);
    }

    // tanh(x @ kernel + h @ recurrent_kernel + bias), Keras' SimpleRNNCell.
    private static float[] SimpleStep(ReadOnlySpan<float> x, float[] h, float[] kernel, float[] recurrent, float[] bias)
    {
        int units = bias.Length;
        var next = new float[units];
        for (int j = 0; j < units; j++)
        {
            double z = bias[j];
            for (int i = 0; i < x.Length; i++)
            {
                z += x[i] * kernel[(i * units) + j];
            }

            for (int i = 0; i < h.Length; i++)
            {
                z += h[i] * recurrent[(i * units) + j];
            }

            next[j] = (float)Math.Tanh(z);
        }

        return next;
    }

    // A copy of the LSTM item of FunctionalSequenceModel as another recurrent layer returning its sequence, called on the
    // model's input or on `input`'s output.
    private static JsonObject Chained(JsonObject item, string name, string className, int units, string? input)
    {
        var copy = (JsonObject)item.DeepClone();
        copy["class_name"] = className;
        copy["name"] = name;
        var config = (JsonObject)copy["config"]!;
        config["name"] = name;
        config["units"] = units;
        config["zero_output_for_mask"] = false;
        config.Remove("unit_forget_bias");
        if (className == "GRU")
        {
            config["reset_after"] = true;
        }

        if (input is not null)
        {
            ((JsonObject)copy["inbound_nodes"]![0]!["args"]![0]!["config"]!)["keras_history"] = new JsonArray(input, 0, 0);
        }

        return copy;
    }

    [H5pyFact]
    public void LoadModel_InputOfVariableLength_RunsEachLengthAsAFileOfThatLength_AndSavesNone()
    {
        // keras.Input((None, 2)) before an RNN of two stacked cells: the file's batch_shape is [null, null, 2].
        float[][] w = [.. new[] { 6, 9, 3, 6, 4, 2 }.Select((n, i) => Tensor.RandomNormal(new TensorShape(n), seed: 90 + i, 0f, 0.6f).ToArray())];
        string cells = "layers/rnn/cell/cells/";
        string Archive(int? steps) => WriteArchive($"variable-{steps}.keras", KerasConfigs.Sequential(steps, 2, ("RNN", KerasConfigs.StackedRnnConfig("rnn",
                [KerasConfigs.Cell("SimpleRNNCell", "simple_rnn_cell", 3), KerasConfigs.Cell("SimpleRNNCell", "simple_rnn_cell_1", 2)], true, false))),
            ["", "layers/rnn", "layers/rnn/cell", cells + "simple_rnn_cell", cells + "simple_rnn_cell_1"],
            [
                (cells + "simple_rnn_cell/vars/0", Tensor.FromArray(w[0], 2, 3)), (cells + "simple_rnn_cell/vars/1", Tensor.FromArray(w[1], 3, 3)),
                (cells + "simple_rnn_cell/vars/2", Tensor.FromArray(w[2], 3)), (cells + "simple_rnn_cell_1/vars/0", Tensor.FromArray(w[3], 3, 2)),
                (cells + "simple_rnn_cell_1/vars/1", Tensor.FromArray(w[4], 2, 2)), (cells + "simple_rnn_cell_1/vars/2", Tensor.FromArray(w[5], 2)),
            ]);

        string variable = Archive(null);
        Model model = KerasFormat.LoadModel(variable);
        string saved = Path.Combine(Path.GetDirectoryName(variable)!, "saved-variable.keras");
        KerasFormat.SaveModel(model, saved);
        Model reloaded = KerasFormat.LoadModel(saved);

        Assert.Equal([0], model.Inputs[0].VariableAxes);
        Assert.Equal([0], reloaded.Inputs[0].VariableAxes);
        foreach (int steps in new[] { 3, 7 })
        {
            Model fixedLength = KerasFormat.LoadModel(Archive(steps));
            Tensor x = Tensor.RandomNormal(new TensorShape(2, steps, 2), seed: 99);
            float[] expected = fixedLength.Predict(x).ToArray();
            Assert.Equal(expected, model.Predict(x).ToArray());
            Assert.Equal(expected, reloaded.Predict(x).ToArray());
        }
    }
}
