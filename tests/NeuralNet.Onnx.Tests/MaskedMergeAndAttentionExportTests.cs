using Xunit;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Tests;

/// <summary>
/// The other layers that read masks, fed padded ids in ONNX Runtime and compared with Predict: the attention layers with
/// the masks of their query, value and key, Multiply, Maximum and Minimum leaving masked positions out, and
/// TimeDistributed handing each step's mask to the layer it wraps.
/// </summary>
public sealed class MaskedMergeAndAttentionExportTests
{
    // Four samples of five ids: padding first, padding last, holes, none. The second input's padding sits elsewhere.
    private static readonly Tensor Ids = Tensor.FromArray(
    [
        0, 0, 3, 5, 2,
        4, 1, 8, 0, 0,
        2, 0, 9, 0, 1,
        1, 2, 3, 4, 5,
    ], 4, 5);

    private static readonly Tensor OtherIds = Tensor.FromArray(
    [
        6, 0, 0, 0, 2,
        0, 0, 7, 3, 0,
        5, 5, 0, 1, 1,
        0, 0, 0, 0, 0,
    ], 4, 5);

    public static TheoryData<string> AttentionKinds() => new() { "dot", "concat_scaled", "additive", "multi_head", "multi_head_with_key" };

    public static TheoryData<string> MergeKinds() => new() { "multiply", "maximum", "minimum" };

    [Theory]
    [MemberData(nameof(AttentionKinds))]
    public void Attention_reads_the_masks_of_its_query_and_value_as_Predict_does(string kind)
    {
        // The query and the value come from separately padded ids; an LSTM after reads the query mask passed on.
        var ids = new Input(new TensorShape(5), name: "ids");
        var other = new Input(new TensorShape(5), name: "other_ids");
        SymbolicTensor query = new Embedding(10, 4, maskZero: true).Call(ids);
        SymbolicTensor value = new Embedding(10, 4, maskZero: true).Call(other);
        SymbolicTensor attended = kind switch
        {
            "dot" => new Attention().Call(query, value),
            "concat_scaled" => new Attention(useScale: true, scoreMode: AttentionScoreMode.Concat).Call(query, value),
            "additive" => new AdditiveAttention().Call(query, value),
            "multi_head" => new MultiHeadAttention(2, 3).Call(query, value),
            _ => new MultiHeadAttention(2, 3).Call(query, value, new Embedding(10, 4, maskZero: true).Call(ids)),
        };
        var model = new Functional([ids, other], [new Lstm(3, returnSequences: true).Call(attended)], name: "attending", seed: 1);
        OnnxRoundTrip.AssertMatchesPredictOn(model.Randomized(), Ids, OtherIds);
    }

    [Fact]
    public void Self_attention_over_a_masked_embedding_matches_Predict()
    {
        var ids = new Input(new TensorShape(5), name: "ids");
        SymbolicTensor words = new Embedding(10, 4, maskZero: true).Call(ids);
        SymbolicTensor attended = new MultiHeadAttention(2, 2, useCausalMask: true).Call(words, words);
        var model = new Functional([ids], [new GlobalAveragePooling1D().Call(attended)], name: "self", seed: 2);
        OnnxRoundTrip.AssertMatchesPredictOn(model.Randomized(), Ids);
    }

    [Theory]
    [MemberData(nameof(MergeKinds))]
    public void A_merge_that_leaves_masked_positions_out_matches_Predict(string kind)
    {
        // Two masked inputs and one without a mask (a Dense of plain features).
        var ids = new Input(new TensorShape(5), name: "ids");
        var other = new Input(new TensorShape(5), name: "other_ids");
        var features = new Input(new TensorShape(5, 3), name: "features");
        SymbolicTensor a = new Embedding(10, 3, maskZero: true).Call(ids);
        SymbolicTensor b = new Embedding(10, 3, maskZero: true).Call(other);
        Func<Layer> merge = kind switch
        {
            "multiply" => () => new Multiply(),
            "maximum" => () => new Maximum(),
            _ => () => new Minimum(),
        };
        SymbolicTensor both = merge().Call(a, b);
        SymbolicTensor all = merge().Call(b, a, new Layers.Dense(3).Call(features));
        SymbolicTensor joined = new Concatenate().Call(new Lstm(2, returnSequences: true).Call(both), all);
        var model = new Functional([ids, other, features], [joined], name: "merging", seed: 3);
        OnnxRoundTrip.AssertMatchesPredictOn(model.Randomized(), Ids, OtherIds, Tensor.RandomNormal(new TensorShape(4, 5, 3), 4));
    }

    [Fact]
    public void TimeDistributed_hands_each_steps_mask_to_the_layer_it_wraps()
    {
        // Sentences of words: Masking per word, then an LSTM and an average over each word's letters.
        var model = new Sequential(name: "sentences", seed: 5);
        model.Add(new InputLayer(new TensorShape(3, 4, 2), name: "letters"));
        model.Add(new TimeDistributed(new Masking()));
        model.Add(new TimeDistributed(new Lstm(3, returnSequences: true, goBackwards: true)));
        model.Add(new TimeDistributed(new GlobalAveragePooling1D()));
        model.Add(new Gru(2));
        model.Randomized();

        // Sample 0: word 0 padded first, word 1 all padding, word 2 padded last; sample 1: no padding but one hole.
        float[] raw =
        [
            0, 0, 0, 0, 1, 2, 3, 4,   0, 0, 0, 0, 0, 0, 0, 0,   5, 6, 7, 8, 9, 1, 0, 0,
            1, 1, 2, 2, 3, 3, 4, 4,   5, 5, 0, 0, 6, 6, 7, 7,   8, 8, 9, 9, 1, 2, 3, 4,
        ];
        Tensor letters = Tensor.FromArray([.. raw.Select(v => v / 10f)], 2, 3, 4, 2);

        // The all-padding word averages to NaN, which the GRU never reads: the word is masked for it.
        float[] actual = OnnxRoundTrip.AssertMatchesPredictOn(model, letters);
        Assert.All(actual, v => Assert.False(float.IsNaN(v)));
    }

    [Theory]
    [InlineData("attention_key")]
    [InlineData("multi_head_attention_mask_input")]
    public void ExportOnnx_LostMaskOnAnInputWhoseMaskTheLayerIgnores_MatchesPredict(string kind)
    {
        // Concatenate along the steps joins two masks in a way the exporter does not follow; Attention ignores its key's
        // mask and MultiHeadAttention its attention-mask input's, so the lost mask changes nothing there.
        var ids = new Input(new TensorShape(5), name: "ids");
        var other = new Input(new TensorShape(5), name: "other_ids");
        var head = new Input(new TensorShape(2), name: "head_ids");
        var tail = new Input(new TensorShape(3), name: "tail_ids");
        SymbolicTensor query = new Embedding(10, 4, maskZero: true).Call(ids);
        SymbolicTensor value = new Embedding(10, 4, maskZero: true).Call(other);
        int width = kind == "attention_key" ? 4 : 5;
        SymbolicTensor joined = new Concatenate(axis: 1).Call(new Embedding(10, width, maskZero: true).Call(head), new Embedding(10, width, maskZero: true).Call(tail));
        SymbolicTensor attended = kind == "attention_key"
            ? new Attention().Call(query, value, joined)
            : new MultiHeadAttention(2, 3, useAttentionMask: true).Call(query, value, joined);
        var model = new Functional([ids, other, head, tail], [new Lstm(3, returnSequences: true).Call(attended)], name: "ignored", seed: 6);
        Tensor headIds = Tensor.FromArray([0, 1, 2, 0, 3, 3, 0, 0], 4, 2);
        Tensor tailIds = Tensor.FromArray([4, 0, 5, 0, 0, 0, 6, 7, 8, 1, 0, 2], 4, 3);
        OnnxRoundTrip.AssertMatchesPredictOn(model.Randomized(), Ids, OtherIds, headIds, tailIds);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ExportOnnx_MergeWithAMaskOnAnInputOfFewerAxes_IsRefusedAsPredictRefusesIt(bool bothMasked)
    {
        // Sentences of words (3, 5, 4) plus one masked sequence (5, 4) broadcast over the sentences: Predict throws at the
        // Add whether or not the other input has a mask, and whether or not a layer after it reads the mask.
        var sentences = new Input(new TensorShape(3, 5), name: "sentences");
        var ids = new Input(new TensorShape(5), name: "ids");
        SymbolicTensor words = bothMasked
            ? new TimeDistributed(new Embedding(10, 4, maskZero: true)).Call(sentences)
            : new Dense(4).Call(new Reshape(3, 5, 1).Call(sentences));
        SymbolicTensor sum = new Add(name: "sum").Call(words, new Embedding(10, 4, maskZero: true, name: "words").Call(ids));
        var model = new Functional([sentences, ids], [new Dense(2).Call(sum)], name: "broadcast");
        Tensor sentenceIds = Tensor.FromArray([.. Enumerable.Range(0, 2 * 3 * 5).Select(i => (float)(i % 4))], 2, 3, 5);
        Tensor padded = Tensor.FromArray([0, 0, 3, 5, 2, 4, 1, 8, 0, 0], 2, 5);
        Assert.Throws<NotSupportedException>(() => model.PredictOutputs([sentenceIds, padded]));

        string message = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes()).Message;
        Assert.Contains("Layer 'sum' (Add) of model 'broadcast' gets the mask that layer 'words' (Embedding with maskZero) makes on input 1, (None, 5, 4), which has fewer axes than the output (None, 3, 5, 4)", message, StringComparison.Ordinal);
    }
}
