using Xunit;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Tests;

/// <summary>
/// Models where a mask from Embedding(maskZero) or Masking reaches a layer that reads it, exported and run in ONNX Runtime
/// on padded inputs (padding first, as pad_sequences writes it by default, padding last, holes, rows that are all padding),
/// compared with Predict.
/// </summary>
public sealed class MaskedSequenceExportTests
{
    // Five samples of six ids: pre-padded, post-padded, all padding, zeros in the middle, no padding.
    private static readonly float[][] IdRows =
    [
        [0, 0, 3, 5, 2, 7],
        [4, 1, 8, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
        [2, 0, 9, 0, 0, 1],
        [1, 2, 3, 4, 5, 6],
    ];

    private static Tensor Ids => Tensor.FromArray([.. IdRows.SelectMany(r => r)], IdRows.Length, 6);

    public static TheoryData<string, bool, bool> RecurrentOptions()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (string kind in new[] { "SimpleRnn", "Lstm", "Gru" })
        {
            foreach (bool returnSequences in new[] { false, true })
            {
                foreach (bool goBackwards in new[] { false, true })
                {
                    data.Add(kind, returnSequences, goBackwards);
                }
            }
        }

        return data;
    }

    [Fact]
    public void The_Keras_text_model_with_pre_padded_ids_matches_Predict()
    {
        // Embedding(mask_zero=True) -> LSTM -> Dense, fed pad_sequences' default output (zeros first).
        var model = new Sequential(name: "text", seed: 1);
        model.Add(new InputLayer(new TensorShape(6), name: "ids"));
        model.Add(new Embedding(10, 4, maskZero: true));
        model.Add(new Lstm(5));
        model.Add(new Dense(3, ActivationFunction.Softmax, name: "classes"));
        model.Randomized();

        float[] actual = OnnxRoundTrip.AssertMatchesPredictOn(model, Ids);

        // The mask matters: padding first is not the same as no padding (the unmasked graph gave other values).
        Tensor unpadded = Tensor.FromArray([3, 5, 2, 7], 1, 4);
        var shorter = new Sequential(name: "text", seed: 1);
        shorter.Add(new InputLayer(new TensorShape(4), name: "ids"));
        shorter.Add(new Embedding(10, 4, maskZero: true));
        shorter.Add(new Lstm(5));
        shorter.Add(new Dense(3, ActivationFunction.Softmax, name: "classes"));
        CopyWeights(model, shorter);
        OnnxRoundTrip.AssertClose(shorter.Predict(unpadded).AsReadOnlySpan(), actual.AsSpan(0, 3), "pre-padded row against the same ids unpadded");
    }

    [Fact]
    public void A_sentiment_model_on_sequences_of_random_lengths_padded_first_matches_Predict()
    {
        // pad_sequences(maxlen=30) of 16 texts of 1 to 30 ids from a vocabulary of 500 (padding="pre", the default).
        const int steps = 30, batch = 16;
        var random = new Random(7);
        var ids = new float[batch * steps];
        for (int b = 0; b < batch; b++)
        {
            int length = b == 0 ? steps : random.Next(1, steps + 1);
            for (int t = steps - length; t < steps; t++)
            {
                ids[(b * steps) + t] = random.Next(1, 500);
            }
        }

        var model = new Sequential(name: "sentiment", seed: 8);
        model.Add(new InputLayer(new TensorShape(steps), name: "ids"));
        model.Add(new Embedding(500, 16, maskZero: true));
        model.Add(new Bidirectional(new Lstm(8, returnSequences: true)));
        model.Add(new Gru(8));
        model.Add(new Dense(1, ActivationFunction.Sigmoid, name: "positive"));
        OnnxRoundTrip.AssertMatchesPredictOn(model.Randomized(), Tensor.FromArray(ids, batch, steps));
    }

    [Theory]
    [MemberData(nameof(RecurrentOptions))]
    public void A_recurrent_layer_reading_an_embedding_mask_matches_Predict(string kind, bool returnSequences, bool goBackwards)
    {
        var model = new Sequential(name: "masked", seed: 2);
        model.Add(new InputLayer(new TensorShape(6), name: "ids"));
        model.Add(new Embedding(10, 3, maskZero: true));
        model.Add(kind switch
        {
            "SimpleRnn" => new SimpleRnn(4, returnSequences: returnSequences, goBackwards: goBackwards),
            "Lstm" => new Lstm(4, returnSequences: returnSequences, goBackwards: goBackwards),
            _ => new Gru(4, returnSequences: returnSequences, goBackwards: goBackwards),
        });
        OnnxRoundTrip.AssertMatchesPredictOn(model.Randomized(), Ids);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Zero_output_for_mask_gives_zeros_at_masked_steps_as_Predict_does(bool returnSequences, bool goBackwards)
    {
        var model = new Sequential(name: "zeroed", seed: 3);
        model.Add(new InputLayer(new TensorShape(6), name: "ids"));
        model.Add(new Embedding(10, 3, maskZero: true));
        model.Add(new Gru(4, returnSequences: returnSequences, goBackwards: goBackwards) { ZeroOutputForMask = true });
        float[] actual = OnnxRoundTrip.AssertMatchesPredictOn(model.Randomized(), Ids);

        // Sample 1 is post-padded: its last steps are masked, so their outputs (or, without sequences, the last output
        // when the layer ends on one) are zeros.
        if (returnSequences)
        {
            int at = goBackwards ? 0 : 5;
            Assert.All(actual.AsSpan(((1 * 6) + at) * 4, 4).ToArray(), v => Assert.Equal(0f, v));
        }
        else if (!goBackwards)
        {
            Assert.All(actual.AsSpan(1 * 4, 4).ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Theory]
    [InlineData(BidirectionalMergeMode.Concat, true)]
    [InlineData(BidirectionalMergeMode.Concat, false)]
    [InlineData(BidirectionalMergeMode.Sum, true)]
    [InlineData(BidirectionalMergeMode.Ave, false)]
    [InlineData(BidirectionalMergeMode.Mul, true)]
    public void Bidirectional_masks_both_directions_as_Predict_does(BidirectionalMergeMode mergeMode, bool returnSequences)
    {
        var model = new Sequential(name: "both_ways", seed: 4);
        model.Add(new InputLayer(new TensorShape(6), name: "ids"));
        model.Add(new Embedding(10, 3, maskZero: true));
        model.Add(new Bidirectional(new Lstm(3, returnSequences: returnSequences), mergeMode, backwardLayer: new Gru(3, returnSequences: returnSequences, goBackwards: true)));
        OnnxRoundTrip.AssertMatchesPredictOn(model.Randomized(), Ids);
    }

    [Fact]
    public void Stacked_bidirectional_layers_pass_the_mask_on_and_match_Predict()
    {
        var model = new Sequential(name: "stacked", seed: 5);
        model.Add(new InputLayer(new TensorShape(6), name: "ids"));
        model.Add(new Embedding(10, 4, maskZero: true));
        model.Add(new Bidirectional(new Lstm(3, returnSequences: true)));
        model.Add(new Dropout(0.3));
        model.Add(new Bidirectional(new Gru(3, goBackwards: true), BidirectionalMergeMode.Ave));
        model.Add(new Dense(2, ActivationFunction.Softmax));
        OnnxRoundTrip.AssertMatchesPredictOn(model.Randomized(), Ids);
    }

    [Fact]
    public void Masking_on_float_inputs_masks_a_recurrent_layer_then_average_pooling()
    {
        // Masking -> GRU (sequences) -> GlobalAveragePooling1D: the pooling reads the mask the GRU passes on.
        var model = new Sequential(name: "floats", seed: 6);
        model.Add(new InputLayer(new TensorShape(5, 3), name: "x"));
        model.Add(new Masking(-1f));
        model.Add(new Gru(4, returnSequences: true));
        model.Add(new GlobalAveragePooling1D());
        model.Add(new Dense(2));
        model.Randomized();

        // Sample 0: two padding steps first; sample 1: one last and one in the middle; sample 2: a step only partly −1 (real).
        Tensor x = Tensor.FromArray(
        [
            -1f, -1f, -1f, -1f, -1f, -1f, 0.5f, 0.2f, -0.3f, 1f, 0f, 2f, -0.7f, 0.1f, 0.4f,
            0.3f, 0.9f, -0.2f, -1f, -1f, -1f, 0.6f, -0.5f, 0.1f, 0.2f, 0.2f, 0.2f, -1f, -1f, -1f,
            -1f, 0.4f, -1f, 0.8f, -0.6f, 0.3f, 0.1f, 0.2f, 0.3f, -0.4f, 0.5f, -0.6f, 0.7f, -0.8f, 0.9f,
        ], 3, 5, 3);
        OnnxRoundTrip.AssertMatchesPredictOn(model, x);
    }

    [Fact]
    public void Average_pooling_of_a_masked_embedding_averages_the_real_steps_and_gives_NaN_for_all_padding()
    {
        var model = new Sequential(name: "bag", seed: 7);
        model.Add(new InputLayer(new TensorShape(6), name: "ids"));
        model.Add(new Embedding(10, 3, maskZero: true, name: "words"));
        model.Add(new GlobalAveragePooling1D(name: "mean"));
        model.Randomized();

        float[] actual = OnnxRoundTrip.AssertMatchesPredictOn(model, Ids);

        // The mean of sample 0 is over its four real ids: the embeddings' rows 3, 5, 2, 7.
        ReadOnlySpan<float> table = model.Layers.OfType<Embedding>().Single().Embeddings.Value.AsReadOnlySpan();
        for (int c = 0; c < 3; c++)
        {
            float mean = (table[(3 * 3) + c] + table[(5 * 3) + c] + table[(2 * 3) + c] + table[(7 * 3) + c]) / 4;
            Assert.Equal(mean, actual[c], 5);
        }

        Assert.All(actual.AsSpan(2 * 3, 3).ToArray(), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void A_mask_passed_on_by_dense_and_merged_by_add_reaches_the_recurrent_layer()
    {
        var ids = new Input(new TensorShape(6), name: "ids");
        var other = new Input(new TensorShape(6), name: "other_ids");
        SymbolicTensor a = new Dense(4, ActivationFunction.Tanh).Call(new Embedding(10, 3, maskZero: true).Call(ids));
        SymbolicTensor b = new Embedding(10, 4, maskZero: true).Call(other);
        SymbolicTensor merged = new Add().Call(a, b);
        var model = new Functional([ids, other], [new Lstm(3).Call(merged)], name: "merged", seed: 8);
        model.Randomized();

        // The second input's padding sits elsewhere, so the ORed mask differs from both.
        Tensor second = Tensor.FromArray([.. IdRows.Reverse().SelectMany(r => r)], IdRows.Length, 6);
        OnnxRoundTrip.AssertMatchesPredictOn(model, Ids, second);
    }

    [Fact]
    public void A_masked_recurrent_layer_is_a_Scan_of_its_onnx_operator_keeping_states_at_masked_steps()
    {
        var model = new Sequential(name: "text", seed: 1);
        model.Add(new InputLayer(new TensorShape(6), name: "ids"));
        model.Add(new Embedding(10, 4, maskZero: true, name: "words"));
        model.Add(new Lstm(5, name: "lstm"));
        GraphProto graph = ModelProto.Parser.ParseFrom(model.ToOnnxBytes()).Graph;

        NodeProto scan = graph.Node.Single(n => n.OpType == "Scan");
        Assert.DoesNotContain(graph.Node, n => n.OpType == "LSTM");
        GraphProto body = scan.Attribute.Single(a => a.Name == "body").G;
        Assert.Equal(["LSTM", "Where", "Where", "Identity"], body.Node.Select(n => n.OpType));
        Assert.Equal(4, body.Input.Count);
        Assert.Equal((int)TensorProto.Types.DataType.Bool, body.Input[3].Type.TensorType.ElemType);

        // The mask is computed from the ids, under the Embedding's name, and the weights stay in the main graph.
        Assert.Contains(graph.Node, n => n.OpType == "Equal" && n.Name.StartsWith("words/", StringComparison.Ordinal) && n.Input[0] == "ids");
        Assert.Contains(graph.Initializer, i => i.Name == "lstm/kernel");
        Assert.Empty(body.Initializer);
    }

    private static void CopyWeights(Model from, Model to)
    {
        foreach ((Parameter source, Parameter target) in from.Parameters.Zip(to.Parameters))
        {
            source.Value.AsReadOnlySpan().CopyTo(target.Value.AsSpan());
        }
    }
}
