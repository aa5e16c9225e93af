using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// An <c>Rnn</c> over <c>StackedRnnCells</c> that cannot be read as the cells' layers in a row (returned states, initial
/// states, going backwards under a mask, inside a wrapper) is written as Keras' <c>RNN(StackedRNNCells)</c> and read back
/// as the same <c>Rnn</c>, computing the same values.
/// </summary>
public sealed partial class KerasFormatTests
{
    [H5pyTheory]
    [InlineData("return_state")]
    [InlineData("initial_states")]
    [InlineData("masked_backwards")]
    [InlineData("time_distributed")]
    [InlineData("pipeline")]
    [InlineData("bidirectional")]
    [InlineData("stateful")]
    [InlineData("bidirectional_initial_states")]
    [InlineData("stateful_layers")]
    public void LoadModel_StackedCellsSavedByNeuralNet_LoadBackAsRnnComputingTheSame(string problem)
    {
        var input = new Input(new TensorShape(5, 3), name: "x");
        var h0 = new Input(new TensorShape(4), name: "h0");
        StackedRnnCells Cells() => new(new GruCell(4), new SimpleRnnCell(2));
        SymbolicTensor output;
        List<Input> inputs = [input];
        switch (problem)
        {
            case "return_state":
                SymbolicTensor[] all = new Rnn(Cells(), returnState: true, name: "stack").CallOutputs(input);
                output = new Concatenate().Call(all);
                break;
            case "initial_states":
                // GruCell's h, then SimpleRnnCell's h: the second state is the first's half.
                var h1 = new Input(new TensorShape(2), name: "h1");
                inputs = [input, h0, h1];
                output = new Rnn(Cells(), name: "stack").Call(input, h0, h1);
                break;
            case "masked_backwards":
                output = new Rnn(Cells(), goBackwards: true, name: "stack").Call(new Masking(name: "masking").Call(input));
                break;
            case "time_distributed":
                // (batch, 2, 5, 3) → each of the 2 sequences through the stacked cells.
                var outer = new Input(new TensorShape(2, 5, 3), name: "x");
                inputs = [outer];
                output = new Flatten().Call(new TimeDistributed(new Rnn(Cells(), name: "stack"), name: "distributed").Call(outer));
                break;
            case "bidirectional":
                output = new Flatten().Call(new Bidirectional(new Rnn(Cells(), returnSequences: true, name: "stack"), name: "both").Call(new Masking(name: "masking").Call(input)));
                break;
            case "bidirectional_initial_states":
                // Each direction runs an LSTMCell (h, c) then a GRUCell (h): Keras takes [[h, c], h] per direction.
                SymbolicTensor[] states = [.. new[] { "fh", "fc", "fh2", "bh", "bc", "bh2" }.Select(n => (SymbolicTensor)new Input(new TensorShape(n.EndsWith('2') ? 2 : 4), name: n))];
                inputs = [input, .. states.Cast<Input>()];
                output = new Bidirectional(new Rnn(new StackedRnnCells(new LstmCell(4), new GruCell(2)), name: "stack"), name: "both").Call([input, .. states]);
                break;
            case "stateful":
                // With its states returned (kept as an Rnn; a stateful RNN alone is read as stateful layers in a row).
                output = new Concatenate().Call(new Rnn(Cells(), returnState: true, name: "stack") { Stateful = true }.CallOutputs(input));
                break;
            case "stateful_layers":
                // Without returned states: read back as stateful layers in a row (a GRU then a SimpleRNN).
                output = new Rnn(Cells(), name: "stack") { Stateful = true }.Call(input);
                break;
            default:
                output = new Pipeline([new Rnn(Cells(), returnSequences: true, name: "stack"), new Dense(2, name: "inner")], name: "pipeline").Call(input);
                output = new Flatten().Call(output);
                break;
        }

        var model = new Functional([.. inputs], new Dense(1, name: "head").Call(output), seed: 5);
        Tensor[] x = [.. inputs.Select((i, k) => Tensor.RandomNormal(i.Shape.Prepend(4), seed: 10 + k))];
        if (problem == "masked_backwards")
        {
            // Padding at the end of sample 1 and the start of sample 2: masked steps Keras skips.
            float[] values = x[0].ToArray();
            Array.Clear(values, (1 * 15) + 12, 3);
            Array.Clear(values, 2 * 15, 6);
            x[0] = Tensor.FromArray(values, x[0].Shape.Dimensions);
        }

        string path = Path.Combine(_folder, $"stacked-{problem}.keras");
        bool stateful = problem.StartsWith("stateful", StringComparison.Ordinal);

        // A stateful model's first call fixes its batch size, which the file then records (Keras 3's RNN.build refuses
        // stateful=True with a dynamic batch size); the states themselves are not saved: the loaded model starts from zeros.
        Tensor? firstCall = stateful ? model.Predict(x) : null;

        KerasFormat.SaveModel(model, path);
        if (problem is "initial_states" or "bidirectional_initial_states")
        {
            // Keras 3's RNN.call takes the states by keyword, nested per stacked cell (StackedRNNCells.call zips the
            // cells with the entries), and Bidirectional.call gives each direction half of its list.
            using ZipArchive archive = ZipFile.OpenRead(path);
            using var reader = new StreamReader(archive.GetEntry("config.json")!.Open());
            JsonArray layers = JsonNode.Parse(reader.ReadToEnd())!["config"]!["layers"]!.AsArray();
            JsonObject call = layers.Single(l => (string?)l!["config"]!["name"] == (problem == "initial_states" ? "stack" : "both"))!["inbound_nodes"]![0]!.AsObject();
            Assert.Single(call["args"]!.AsArray());
            static string? Named(JsonNode? tensor) => (string?)tensor!["config"]!["keras_history"]![0];
            static string Shape(JsonNode? entry) => entry is JsonArray list ? $"[{string.Join(",", list.Select(Shape))}]" : Named(entry)!;
            Assert.Equal(problem == "initial_states" ? "[h0,h1]" : "[[fh,fc],fh2,[bh,bc],bh2]", Shape(call["kwargs"]!["initial_state"]));
        }

        if (problem is "bidirectional" or "stateful")
        {
            using ZipArchive archive = ZipFile.OpenRead(path);
            using var reader = new StreamReader(archive.GetEntry("config.json")!.Open());
            JsonArray layers = JsonNode.Parse(reader.ReadToEnd())!["config"]!["layers"]!.AsArray();
            JsonNode item = layers.Single(l => (string?)l!["config"]!["name"] == (problem == "stateful" ? "stack" : "both"))!;

            // Keras' Bidirectional.get_config: "layer" is the serialized RNN with its cell (the backward layer is made from it).
            JsonNode rnn = problem == "stateful" ? item : item["config"]!["layer"]!;
            Assert.Equal("RNN", (string?)rnn["class_name"]);
            Assert.Equal("StackedRNNCells", (string?)rnn["config"]!["cell"]!["class_name"]);
            Assert.Equal(problem == "stateful", (bool)rnn["config"]!["stateful"]!);
        }

        if (stateful)
        {
            using ZipArchive archive = ZipFile.OpenRead(path);
            using var reader = new StreamReader(archive.GetEntry("config.json")!.Open());
            JsonNode inputLayer = JsonNode.Parse(reader.ReadToEnd())!["config"]!["layers"]!.AsArray().Single(l => (string?)l!["class_name"] == "InputLayer")!;
            Assert.Equal(4, (int)inputLayer["config"]!["batch_shape"]![0]!);
        }

        Model loaded = KerasFormat.LoadModel(path);

        if (problem == "stateful_layers")
        {
            Assert.Equal(new[] { "GRU", "SimpleRNN" }, loaded.Layers.OfType<Recurrent>().Select(r => r.TypeName));
            Assert.All(loaded.Layers.OfType<Recurrent>(), r => Assert.True(r.Stateful));
        }
        else
        {
            Assert.Contains(loaded.Layers, l => l is Rnn or TimeDistributed { InnerLayer: Rnn } or Pipeline or Bidirectional { ForwardLayer: Rnn, BackwardLayer: Rnn { GoBackwards: true } });
            Assert.Equal(stateful, loaded.Layers.OfType<Rnn>().Any(r => r.Stateful));
            Assert.DoesNotContain(loaded.Layers, l => l is Recurrent);
        }

        if (firstCall is not null)
        {
            // Two calls in a row: the loaded model carries its states from the first into the second as the original did
            // (read as layers in a row, which compute all steps' input products in one GEMM: equal to float rounding).
            static void Same(float[] expected, float[] actual, bool layers)
            {
                Assert.Equal(expected.Length, actual.Length);
                for (int i = 0; i < expected.Length; i++)
                {
                    Assert.True(layers ? Math.Abs(expected[i] - actual[i]) <= 1e-5f : expected[i] == actual[i], $"element {i}: expected {expected[i]}, got {actual[i]}");
                }
            }

            float[] again = model.Predict(x).ToArray();
            Assert.NotEqual(firstCall.ToArray(), again);
            Same(firstCall.ToArray(), loaded.Predict(x).ToArray(), problem == "stateful_layers");
            Same(again, loaded.Predict(x).ToArray(), problem == "stateful_layers");
        }
        else
        {
            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
        }
    }
}
