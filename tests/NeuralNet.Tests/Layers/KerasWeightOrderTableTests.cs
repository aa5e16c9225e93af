using NeuralNet.Layers;
using Xunit;

namespace NeuralNet.Tests.Layers;

// Layer.Weights (GetWeights / SetWeights) of every built-in layer whose Keras 3 counterpart holds sublayers, against
// the order of Keras' layer.weights written out by hand from its source: keras/src/layers/layer.py's weights property
// lists the layer's own trainable variables, its own non-trainable ones, then each tracked sublayer's weights in the
// order __setattr__ tracked them (the order the layer's code assigns them), deduplicated.
public class KerasWeightOrderTableTests
{
    // One row: the layer, its input shapes, and Keras' layer.weights as (Keras' variable path, NeuralNet's parameter
    // name, shape), in Keras' order.
    public sealed record Row(string Source, Func<Layer> Make, TensorShape[] Inputs, (string Keras, string Name, TensorShape Shape)[] Weights)
    {
        public override string ToString() => Source;
    }

    private static TensorShape S(params int[] dimensions) => new(dimensions);

    public static TheoryData<Row> Rows() =>
    [
        // multi_head_attention.py build: self._query_dense, self._key_dense, self._value_dense (each EinsumDense: kernel,
        // bias), self._build_attention (softmax, dropout: no weights), then self._output_dense.
        new Row("MultiHeadAttention(num_heads=2, key_dim=3) on query (4, 6), value (5, 5)",
            () => new MultiHeadAttention(2, 3), [S(4, 6), S(5, 5)],
        [
            ("query/kernel", "query/kernel", S(6, 2, 3)), ("query/bias", "query/bias", S(2, 3)),
            ("key/kernel", "key/kernel", S(5, 2, 3)), ("key/bias", "key/bias", S(2, 3)),
            ("value/kernel", "value/kernel", S(5, 2, 3)), ("value/bias", "value/bias", S(2, 3)),
            ("attention_output/kernel", "attention_output/kernel", S(2, 3, 6)), ("attention_output/bias", "attention_output/bias", S(6)),
        ]),

        // use_gate (Keras 3.15): self._gate_dense is set right after self._key_dense is built, before self._value_dense.
        new Row("MultiHeadAttention(num_heads=2, key_dim=3, use_gate=True) on query (4, 6), value (4, 6)",
            () => new MultiHeadAttention(2, 3) { UseGate = true }, [S(4, 6), S(4, 6)],
        [
            ("query/kernel", "query/kernel", S(6, 2, 3)), ("query/bias", "query/bias", S(2, 3)),
            ("key/kernel", "key/kernel", S(6, 2, 3)), ("key/bias", "key/bias", S(2, 3)),
            ("gate/kernel", "gate/kernel", S(6, 2, 3)), ("gate/bias", "gate/bias", S(2, 3)),
            ("value/kernel", "value/kernel", S(6, 2, 3)), ("value/bias", "value/bias", S(2, 3)),
            ("attention_output/kernel", "attention_output/kernel", S(2, 3, 6)), ("attention_output/bias", "attention_output/bias", S(6)),
        ]),

        // grouped_query_attention.py build: _query_dense, _key_dense, (_gate_dense), _value_dense, then _output_dense.
        new Row("GroupedQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2) on query (3, 8), value (3, 8)",
            () => new GroupedQueryAttention(2, 4, 2), [S(3, 8), S(3, 8)],
        [
            ("query/kernel", "query/kernel", S(8, 4, 2)), ("query/bias", "query/bias", S(4, 2)),
            ("key/kernel", "key/kernel", S(8, 2, 2)), ("key/bias", "key/bias", S(2, 2)),
            ("value/kernel", "value/kernel", S(8, 2, 2)), ("value/bias", "value/bias", S(2, 2)),
            ("attention_output/kernel", "attention_output/kernel", S(4, 2, 8)), ("attention_output/bias", "attention_output/bias", S(8)),
        ]),

        // bidirectional.py __init__: self.forward_layer, then self.backward_layer; an LSTM's weights are its cell's
        // (lstm.py LSTMCell.build: kernel, recurrent_kernel, bias).
        new Row("Bidirectional(LSTM(4)) on (5, 3)",
            () => new Bidirectional(new Lstm(4, name: "lstm")), [S(5, 3)],
        [
            ("forward_lstm/lstm_cell/kernel", "forward_lstm/kernel", S(3, 16)), ("forward_lstm/lstm_cell/recurrent_kernel", "forward_lstm/recurrent_kernel", S(4, 16)),
            ("forward_lstm/lstm_cell/bias", "forward_lstm/bias", S(16)),
            ("backward_lstm/lstm_cell/kernel", "backward_lstm/kernel", S(3, 16)), ("backward_lstm/lstm_cell/recurrent_kernel", "backward_lstm/recurrent_kernel", S(4, 16)),
            ("backward_lstm/lstm_cell/bias", "backward_lstm/bias", S(16)),
        ]),

        // A backward layer given to the constructor (created before the forward one here) is still tracked second. It
        // keeps its own name here where Keras renames it backward_<name>: the weights file groups it by the attribute.
        new Row("Bidirectional(GRU(2), backward_layer=GRU(2, go_backwards=True)) on (5, 3)",
            () =>
            {
                var backward = new Gru(2, goBackwards: true, name: "back");
                return new Bidirectional(new Gru(2, name: "fore"), backwardLayer: backward);
            }, [S(5, 3)],
        [
            ("forward_fore/gru_cell/kernel", "forward_fore/kernel", S(3, 6)), ("forward_fore/gru_cell/recurrent_kernel", "forward_fore/recurrent_kernel", S(2, 6)),
            ("forward_fore/gru_cell/bias", "forward_fore/bias", S(2, 6)),
            ("backward_back/gru_cell/kernel", "back/kernel", S(3, 6)), ("backward_back/gru_cell/recurrent_kernel", "back/recurrent_kernel", S(2, 6)),
            ("backward_back/gru_cell/bias", "back/bias", S(2, 6)),
        ]),

        // wrapper.py __init__: self.layer; TimeDistributed has no weights of its own.
        new Row("TimeDistributed(Dense(2)) on (5, 3)",
            () => new TimeDistributed(new Dense(2, name: "dense")), [S(5, 3)],
        [
            ("dense/kernel", "dense/kernel", S(3, 2)), ("dense/bias", "dense/bias", S(2)),
        ]),

        // spectral_normalization.py build: self.kernel = self.layer.kernel (tracked as the wrapper's own trainable
        // variable), add_weight vector_u (non-trainable), then the wrapped layer's weights not listed yet (its bias).
        new Row("SpectralNormalization(Dense(3)) on (4)",
            () => new SpectralNormalization(new Dense(3, name: "dense")), [S(4)],
        [
            ("dense/kernel", "dense/kernel", S(4, 3)), ("spectral_normalization/vector_u", "vector_u", S(1, 3)), ("dense/bias", "dense/bias", S(3)),
        ]),

        // pipeline.py __init__: self._pipeline_layers = layers, tracked in list order.
        new Row("Pipeline([Dense(3), Dense(2)]) on (4)",
            () => new Pipeline([new Dense(3, name: "first"), new Dense(2, name: "second")]), [S(4)],
        [
            ("first/kernel", "first/kernel", S(4, 3)), ("first/bias", "first/bias", S(3)),
            ("second/kernel", "second/kernel", S(3, 2)), ("second/bias", "second/bias", S(2)),
        ]),

        // rnn.py __init__: self.cell; LSTM / GRU / SimpleRNN have no weights of their own, their cell's build makes kernel,
        // recurrent_kernel, bias.
        new Row("LSTM(4) on (5, 3)", () => new Lstm(4), [S(5, 3)],
            [("lstm_cell/kernel", "kernel", S(3, 16)), ("lstm_cell/recurrent_kernel", "recurrent_kernel", S(4, 16)), ("lstm_cell/bias", "bias", S(16))]),
        new Row("GRU(2) on (5, 3)", () => new Gru(2), [S(5, 3)],
            [("gru_cell/kernel", "kernel", S(3, 6)), ("gru_cell/recurrent_kernel", "recurrent_kernel", S(2, 6)), ("gru_cell/bias", "bias", S(2, 6))]),
        new Row("SimpleRNN(2) on (5, 3)", () => new SimpleRnn(2), [S(5, 3)],
            [("simple_rnn_cell/kernel", "kernel", S(3, 2)), ("simple_rnn_cell/recurrent_kernel", "recurrent_kernel", S(2, 2)), ("simple_rnn_cell/bias", "bias", S(2))]),

        // conv_lstm.py ConvLSTM(RNN): self.cell = ConvLSTMCell, whose build makes kernel, recurrent_kernel, bias.
        new Row("ConvLSTM2D(2, 3) on (4, 6, 6, 1)", () => new ConvLstm2D(2, 3), [S(4, 6, 6, 1)],
            [("conv_lstm_cell/kernel", "kernel", S(3, 3, 1, 8)), ("conv_lstm_cell/recurrent_kernel", "recurrent_kernel", S(3, 3, 2, 8)), ("conv_lstm_cell/bias", "bias", S(8))]),

        // stacked_rnn_cells.py __init__: self.cells = cells, tracked in list order; RNN tracks self.cell.
        new Row("RNN(StackedRNNCells([LSTMCell(2), GRUCell(3)])) on (5, 3)",
            () => new Rnn(new StackedRnnCells(new LstmCell(2), new GruCell(3))), [S(5, 3)],
        [
            ("lstm_cell/kernel", "cell_0/kernel", S(3, 8)), ("lstm_cell/recurrent_kernel", "cell_0/recurrent_kernel", S(2, 8)), ("lstm_cell/bias", "cell_0/bias", S(8)),
            ("gru_cell/kernel", "cell_1/kernel", S(2, 9)), ("gru_cell/recurrent_kernel", "cell_1/recurrent_kernel", S(3, 9)), ("gru_cell/bias", "cell_1/bias", S(2, 9)),
        ]),
    ];

    [Theory]
    [MemberData(nameof(Rows))]
    public void Weights_CompositeBuiltInLayer_FollowKerasLayerWeightsOrder(Row row)
    {
        Layer layer = row.Make();
        layer.Build(row.Inputs);

        Assert.Equal(row.Weights.Select(w => $"{w.Name} {w.Shape}"), layer.Weights.Select(p => $"{p.Name} {p.Shape}"));

        // SetWeights takes that order: distinct values per position come back from GetWeights in place.
        Tensor[] values = [.. row.Weights.Select((w, i) => Tensor.Filled(i + 0.5f, [.. w.Shape.Dimensions.ToArray()]))];
        layer.SetWeights(values);
        Assert.Equal(values.Select(v => v.ToArray()), layer.GetWeights().Select(w => w.ToArray()));
        Assert.Equal(values.Select(v => v.ToArray()), row.Weights.Select(w => layer.Parameters.Single(p => p.Name == w.Name).Value.ToArray()));
    }
}
