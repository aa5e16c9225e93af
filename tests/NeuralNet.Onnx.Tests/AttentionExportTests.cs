using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;
using Xunit;

namespace NeuralNet.Onnx.Tests;

/// <summary>
/// What the attention layers become in the file and what export refuses around them, beside their round trips in
/// <see cref="ExportCases"/> (where ReLU of random inputs makes mask inputs with zeros in random places).
/// </summary>
public sealed class AttentionExportTests
{
    [Fact]
    public void MultiHeadAttention_reads_its_einsum_kernels_as_matrices()
    {
        var x = new Input(new TensorShape(5, 6), name: "x");
        SymbolicTensor y = new MultiHeadAttention(2, 3, valueDim: 4, outputShape: 7, name: "mha").Call(x, x);
        GraphProto graph = ModelProto.Parser.ParseFrom(new Functional(x, y).ToOnnxBytes()).Graph;

        // Keras' (features, heads, size) kernels are (features, heads · size) matrices; the output's (heads, size, output) likewise.
        Assert.Equal([6L, 6], Dims(graph, "mha/query/kernel"));
        Assert.Equal([6L], Dims(graph, "mha/key/bias"));
        Assert.Equal([6L, 8], Dims(graph, "mha/value/kernel"));
        Assert.Equal([8L, 7], Dims(graph, "mha/attention_output/kernel"));

        // Three projections, the scores, the context, the output projection; one softmax; no mask without one asked for.
        Assert.Equal(6, graph.Node.Count(n => n.OpType == "MatMul"));
        Assert.Single(graph.Node, n => n.OpType == "Softmax");
        Assert.DoesNotContain(graph.Node, n => n.OpType is "Equal" or "Where");
    }

    [Fact]
    public void The_causal_mask_is_one_constant_of_the_allowed_pairs()
    {
        var q = new Input(new TensorShape(3, 2), name: "q");
        var v = new Input(new TensorShape(2, 2), name: "v");
        SymbolicTensor y = new Attention(useCausalMask: true, name: "attend").Call(q, v);
        GraphProto graph = ModelProto.Parser.ParseFrom(new Functional([q, v], [y]).ToOnnxBytes()).Graph;
        TensorProto causal = graph.Initializer.Single(i => i.Name == "attend/causal_mask");
        Assert.Equal([3L, 2], causal.Dims);
        Assert.Equal([1f, 0, 1, 1, 1, 1], Enumerable.Range(0, 6).Select(k => BitConverter.ToSingle(causal.RawData.Span[(k * sizeof(float))..])));
    }

    [Fact]
    public void The_query_mask_attention_passes_on_is_followed()
    {
        var q = new Input(new TensorShape(4, 3), name: "q");
        var qm = new Input(new TensorShape(4), name: "qm");
        var vm = new Input(new TensorShape(4), name: "vm");
        SymbolicTensor attended = new Attention(useMasks: true).Call(q, q, qm, vm);
        var model = new Functional([q, qm, vm], [new SimpleRnn(2, returnSequences: true).Call(attended)], name: "attended", seed: 10);
        model.Randomized();
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 4, 3), 1);
        Tensor queryMask = Tensor.FromArray([0, 1, 1, 0, 2, 0, 1, 1], 2, 4);
        Tensor valueMask = Tensor.FromArray([1, 1, 0, 1, 1, 1, 1, 0], 2, 4);
        OnnxRoundTrip.AssertMatchesPredictOn(model, x, queryMask, valueMask);
    }

    [Fact]
    public void Attention_scores_as_outputs_match_predict_in_onnx_runtime()
    {
        // returnAttentionScores: MultiHeadAttention's probabilities (causal, with an attention mask that masks every key of
        // some query steps: 0 there, Keras' explicit path), GroupedQueryAttention's, Attention's and AdditiveAttention's weights.
        var x = new Input(new TensorShape(4, 6), name: "x");
        var mask = new Input(new TensorShape(4, 4), name: "mask");
        SymbolicTensor[] mha = new MultiHeadAttention(2, 3, useCausalMask: true, useAttentionMask: true, returnAttentionScores: true, name: "mha").CallOutputs(x, x, mask);
        SymbolicTensor[] gqa = new GroupedQueryAttention(3, 4, 2, returnAttentionScores: true, name: "gqa").CallOutputs(mha[0], x);
        SymbolicTensor[] dot = new Attention(useScale: true, returnAttentionScores: true, name: "dot").CallOutputs(gqa[0], x);
        SymbolicTensor[] additive = new AdditiveAttention(returnAttentionScores: true, name: "additive").CallOutputs(dot[0], x);
        var model = new Functional([x, mask], [additive[0], new Identity(name: "mha_scores").Call(mha[1]), new Identity(name: "gqa_scores").Call(gqa[1]),
            new Identity(name: "dot_scores").Call(dot[1]), new Identity(name: "additive_scores").Call(additive[1])], name: "scores", seed: 12);
        model.Randomized();
        Tensor tokens = Tensor.RandomNormal(new TensorShape(2, 4, 6), 3);
        var pairs = new Tensor(new TensorShape(2, 4, 4));
        Span<float> m = pairs.AsSpan();
        for (int i = 0; i < m.Length; i++)
        {
            m[i] = i % 5 == 1 || (i >= 4 && i < 8) ? 0f : 1f;
        }

        OnnxRoundTrip.AssertMatchesPredictOn(model, tokens, pairs);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Score_attention_scores_with_query_and_value_masks_and_causal_match_predict_in_onnx_runtime(bool additive)
    {
        // useMasks: the query and value masks as inputs (0 masked, any other value kept), with the causal rule; Tq != Tv.
        // The layer's two outputs are both model outputs ("attend", "attend_1").
        var q = new Input(new TensorShape(4, 3), name: "q");
        var v = new Input(new TensorShape(5, 3), name: "v");
        var qm = new Input(new TensorShape(4), name: "qm");
        var vm = new Input(new TensorShape(5), name: "vm");
        Layer layer = additive
            ? new AdditiveAttention(useMasks: true, useCausalMask: true, returnAttentionScores: true, name: "attend")
            : new Attention(useScale: true, useMasks: true, useCausalMask: true, returnAttentionScores: true, name: "attend");
        SymbolicTensor[] outputs = layer.CallOutputs(q, v, qm, vm);
        var model = new Functional([q, v, qm, vm], [outputs[0], outputs[1]], name: "masked_scores", seed: 13);
        model.Randomized();
        Tensor query = Tensor.RandomNormal(new TensorShape(2, 4, 3), 4);
        Tensor value = Tensor.RandomNormal(new TensorShape(2, 5, 3), 5);
        Tensor queryMask = Tensor.FromArray([0, 1, 1, 0, 2, 0, 1, 1], 2, 4);
        Tensor valueMask = Tensor.FromArray([1, 1, 0, 1, 1, 0, 1, 1, 1, 0], 2, 5);

        Assert.Equal(["attend", "attend_1"], model.OutputNames);
        OnnxRoundTrip.AssertMatchesPredictOn(model, query, value, queryMask, valueMask);
    }

    [Fact]
    public void Attention_scores_over_several_axes_are_refused_when_read_and_left_out_otherwise()
    {
        var x = new Input(new TensorShape(2, 3, 4), name: "x");
        SymbolicTensor[] outputs = new MultiHeadAttention(2, 2, attentionAxes: [2], returnAttentionScores: true, name: "axes").CallOutputs(x, x);
        var reading = new Functional(x, [outputs[0], outputs[1]], seed: 1);

        var error = Assert.Throws<NotSupportedException>(() => reading.ToOnnxBytes());

        Assert.Contains("Layer 'axes'", error.Message, StringComparison.Ordinal);
        Assert.Contains("returnAttentionScores", error.Message, StringComparison.Ordinal);

        // Nothing reads the scores: the attention output is written as without returnAttentionScores.
        var model = new Functional(x, [new Dense(3, name: "head").Call(outputs[0])], seed: 1);
        model.Randomized();
        OnnxRoundTrip.AssertMatchesPredictOn(model, Tensor.RandomNormal(new TensorShape(2, 2, 3, 4), 6));
    }

    private static long[] Dims(GraphProto graph, string name) => [.. graph.Initializer.Single(i => i.Name == name).Dims];
}
