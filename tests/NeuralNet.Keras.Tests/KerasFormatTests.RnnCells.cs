using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>A NeuralNet <c>Rnn</c> over Keras' cells written as Keras' <c>RNN</c>, and read back as the cells' layers.</summary>
public sealed partial class KerasFormatTests
{
    [H5pyFact]
    public void SaveModel_RnnOverCells_WritesKerasRnnWithItsCellAndWeightsUnderTheCell()
    {
        // Keras 3: RNN(LSTMCell(4)) keeps its weights in layers/rnn/cell/vars/0..2; RNN(StackedRNNCells([GRUCell, SimpleRNNCell]))
        // in layers/rnn_1/cell/cells/gru_cell/vars and .../simple_rnn_cell/vars (saving_lib names list items by class).
        var input = new Input(new TensorShape(5, 3));
        SymbolicTensor h = new Rnn(new LstmCell(4), returnSequences: true, name: "rnn").Call(input);
        SymbolicTensor last = new Rnn(new StackedRnnCells(new GruCell(3), new SimpleRnnCell(2)), name: "rnn_1").Call(h);
        var model = new Functional(input, new Dense(1, name: "head").Call(last), seed: 3);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 5, 3), seed: 4);
        string path = Path.Combine(_folder, "rnn-cells.keras");

        KerasFormat.SaveModel(model, path);

        using (ZipArchive archive = ZipFile.OpenRead(path))
        {
            using var reader = new StreamReader(archive.GetEntry("config.json")!.Open());
            JsonArray layers = JsonNode.Parse(reader.ReadToEnd())!["config"]!["layers"]!.AsArray();
            JsonObject Layer(string name) => (JsonObject)layers.Single(l => (string?)l!["config"]!["name"] == name)!;
            Assert.Equal("RNN", (string?)Layer("rnn")["class_name"]);
            Assert.Equal("LSTMCell", (string?)Layer("rnn")["config"]!["cell"]!["class_name"]);
            Assert.Equal("keras.layers", (string?)Layer("rnn")["config"]!["cell"]!["module"]);
            JsonNode stacked = Layer("rnn_1")["config"]!["cell"]!;
            Assert.Equal("StackedRNNCells", (string?)stacked["class_name"]);
            Assert.Equal(["GRUCell", "SimpleRNNCell"], stacked["config"]!["cells"]!.AsArray().Select(c => (string?)c!["class_name"]));
            Assert.Equal("keras.layers", (string?)stacked["config"]!["cells"]![1]!["module"]);
        }

        string weights = Path.Combine(_folder, "rnn-cells.weights.h5");
        KerasFormat.SaveWeights(model, weights);
        var datasets = (JsonObject)H5py.Dump(weights)["datasets"]!;
        int[] Shape(string dataset) => datasets[dataset]!["shape"]!.AsArray().Select(d => (int)d!).ToArray();
        Assert.Equal([3, 16], Shape("layers/rnn/cell/vars/0"));
        Assert.Equal([4, 16], Shape("layers/rnn/cell/vars/1"));
        Assert.Equal([16], Shape("layers/rnn/cell/vars/2"));
        Assert.Equal([4, 9], Shape("layers/rnn_1/cell/cells/gru_cell/vars/0"));
        Assert.Equal([2, 9], Shape("layers/rnn_1/cell/cells/gru_cell/vars/2"));
        Assert.Equal([3, 2], Shape("layers/rnn_1/cell/cells/simple_rnn_cell/vars/0"));

        // Read back as NeuralNet reads Keras' RNN: the cells' own layers, computing the same.
        Model loaded = KerasFormat.LoadModel(path);
        Assert.Equal(["LSTM", "GRU", "SimpleRNN"], loaded.Layers.Where(l => l is Recurrent).Select(l => l.TypeName));
        float[] expected = model.Predict(x).ToArray(), actual = loaded.Predict(x).ToArray();
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 1e-6f));
    }

    [Theory]
    [InlineData("model")]
    [InlineData("time_distributed")]
    [InlineData("pipeline")]
    [InlineData("stacked_in_pipeline")]
    [InlineData("nested_stack")]
    public void SaveModel_RnnOverAUserCell_IsRefusedNamingTheLayerAndTheCell(string where)
    {
        // Registered, as a user whose model holds the cell in a wrapper must (wrappers rebuild their layer from its config).
        UserCell.Register();
        RnnCell cell = where switch
        {
            "stacked_in_pipeline" => new StackedRnnCells(new GruCell(2), new UserCell()),
            // Stacked cells inside stacked cells: Keras' reader here takes one level, so the inner stack is refused.
            "nested_stack" => new StackedRnnCells(new GruCell(2), new StackedRnnCells(new LstmCell(2), new GruCell(2))),
            _ => new UserCell(),
        };
        var rnn = new Rnn(cell, name: "mine");
        Sequential model = where switch
        {
            "model" or "nested_stack" => new Sequential([new InputLayer(4, 2), rnn, new Dense(1)], seed: 1),
            "time_distributed" => new Sequential([new InputLayer(3, 4, 2), new TimeDistributed(rnn), new Flatten(), new Dense(1)], seed: 1),
            _ => new Sequential([new InputLayer(4, 2), new Pipeline([rnn, new Dense(1)]), new Dense(1)], seed: 1),
        };
        string path = Path.Combine(_folder, "user-cell.keras");

        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));

        Assert.Contains("'mine' (RNN)", error.Message, StringComparison.Ordinal);
        Assert.Contains((where == "nested_stack" ? typeof(StackedRnnCells) : typeof(UserCell)).FullName!, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    // A user's cell (h = x·W, no recurrence): enough to be refused.
    private sealed class UserCell : RnnCell
    {
        private static readonly Lazy<bool> s_registered = new(() =>
        {
            NeuralNet.Serialization.SerializationRegistry.Register("NeuralNetKerasTests>UserCell", _ => new UserCell());
            return true;
        });

        private readonly int[] _sizes = [2];

        public static void Register() => _ = s_registered.Value;
        private Parameter _kernel = null!;

        public override IReadOnlyList<int> StateSizes => _sizes;

        protected override void OnBuild(int inputSize) => _kernel = AddWeight("kernel", new TensorShape(inputSize, 2), new NeuralNet.Initializers.GlorotUniform());

        public override void Forward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, Span<float> output, Span<float> newStates)
        {
            ReadOnlySpan<float> w = _kernel.Value.AsReadOnlySpan();
            for (int b = 0; b < batch; b++)
            {
                for (int j = 0; j < 2; j++)
                {
                    float z = 0f;
                    for (int i = 0; i < InputSize; i++)
                    {
                        z += input[(b * InputSize) + i] * w[(i * 2) + j];
                    }

                    output[(b * 2) + j] = newStates[(b * 2) + j] = z;
                }
            }
        }

        public override void Backward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, ReadOnlySpan<float> newStates,
            ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> newStateGradients, Span<float> inputGradient, Span<float> stateGradients) =>
            throw new NotSupportedException();
    }
}
