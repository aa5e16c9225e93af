using Xunit;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Tests;

/// <summary>
/// TimeDistributed's masks as Predict makes them (see its remarks): made inside nested wrappers (documents of sentences of
/// words), and the time part repeated over the positions a wrapped layer's output keeps, each exported and run in ONNX
/// Runtime on padded inputs and compared with Predict.
/// </summary>
public sealed class MaskedTimeDistributedExportTests
{
    // Two samples of two documents of three sentences of four word ids. Sample 0: a sentence padded first, one all padding,
    // one padded last; a sentence all padding, a hole, none. Sample 1: a document all padding; a sentence of one word.
    private static readonly Tensor Documents = Tensor.FromArray(
    [
        0, 0, 3, 5,   0, 0, 0, 0,   4, 1, 0, 0,
        0, 0, 0, 0,   2, 0, 9, 1,   1, 2, 3, 4,
        0, 0, 0, 0,   0, 0, 0, 0,   0, 0, 0, 0,
        7, 0, 0, 0,   5, 6, 7, 8,   0, 0, 0, 9,
    ], 2, 2, 3, 4);

    [Fact]
    public void ExportOnnx_NestedTimeDistributedEmbeddingWithMaskZero_MatchesPredictOnPaddedDocuments()
    {
        // Words -> sentences (the mean of the real words) -> documents (an LSTM over the real sentences) -> a GRU over the
        // documents: every reader needs the mask made two wrappers deep.
        var model = new Sequential(name: "documents", seed: 1);
        model.Add(new InputLayer(new TensorShape(2, 3, 4), name: "ids"));
        model.Add(new TimeDistributed(new TimeDistributed(new Embedding(10, 3, maskZero: true))));
        model.Add(new TimeDistributed(new TimeDistributed(new GlobalAveragePooling1D())));
        model.Add(new TimeDistributed(new Lstm(2)));
        model.Add(new Gru(2));
        model.Randomized();

        float[] actual = OnnxRoundTrip.AssertMatchesPredictOn(model, Documents);

        // The all-padding sentences average to NaN, which no later layer reads: the mask reached them.
        Assert.All(actual, v => Assert.False(float.IsNaN(v)));
    }

    [Fact]
    public void ExportOnnx_NestedTimeDistributedMaskingThenRecurrent_MatchesPredictOnPaddedLetters()
    {
        // Masking two wrappers deep, passed on by the LSTM over each word's letters, read by an average per word.
        var model = new Sequential(name: "nested_masking", seed: 2);
        model.Add(new InputLayer(new TensorShape(2, 3, 4, 2), name: "letters"));
        model.Add(new TimeDistributed(new TimeDistributed(new Masking())));
        model.Add(new TimeDistributed(new TimeDistributed(new Lstm(3, returnSequences: true))));
        model.Add(new TimeDistributed(new TimeDistributed(new GlobalAveragePooling1D())));
        model.Add(new TimeDistributed(new Gru(2)));
        model.Randomized();

        float[] raw = [.. Enumerable.Range(0, 2 * 2 * 3 * 4 * 2).Select(i => ((i * 7) % 11) / 10f)];
        foreach (int letter in new[] { 0, 1, 7, 8, 9, 10, 11, 20, 21, 22, 23, 40, 41, 42, 43, 46, 47 })
        {
            // Whole letters (both features) of padding: a word padded first, one all padding, holes.
            raw[2 * letter] = 0f;
            raw[(2 * letter) + 1] = 0f;
        }

        OnnxRoundTrip.AssertMatchesPredictOn(model, Tensor.FromArray(raw, 2, 2, 3, 4, 2));
    }

    [Fact]
    public void ExportOnnx_TimePartRepeatedOverConvolvedLetters_MatchesPredict()
    {
        // Words of letters: the embedding's mask (words, letters) is dropped by the convolution inside the wrapper, so
        // Predict repeats each word's time part over its 3 convolved positions, (words, 3), which the average per word reads.
        // The average per word is an output too: the LSTM after it skips the padded words whatever they hold, so only
        // this output shows whether the average read the mask (NaN over an all-padding word, as Predict gives).
        var input = new Input(new TensorShape(4, 5), "letters");
        SymbolicTensor convolved = new TimeDistributed(new Conv1D(2, 3)).Call(new TimeDistributed(new Embedding(10, 3, maskZero: true)).Call(input));
        SymbolicTensor averages = new TimeDistributed(new GlobalAveragePooling1D()).Call(convolved);
        var model = new Functional([input], [averages, new Lstm(2, returnSequences: true).Call(averages)], name: "convolved_words", seed: 3);
        model.Randomized();
        Tensor letters = Tensor.FromArray(
        [
            0, 0, 0, 0, 0,   1, 2, 0, 0, 0,   0, 0, 3, 4, 5,   6, 7, 8, 9, 1,
            2, 0, 3, 0, 4,   0, 0, 0, 0, 0,   0, 0, 0, 0, 0,   5, 0, 0, 0, 0,
            1, 1, 1, 1, 1,   2, 2, 2, 2, 2,   3, 3, 3, 3, 3,   0, 0, 0, 0, 0,
        ], 3, 4, 5);

        OnnxRoundTrip.AssertMatchesPredictOn(model, letters);
    }

    [Theory]
    [InlineData("repeat_vector")]
    [InlineData("reshape")]
    public void ExportOnnx_TimePartRepeatedOverAxesTheWrappedLayerAdds_MatchesPredict(string kind)
    {
        // Masked steps of 4 features; the wrapped layer makes each step (2, ...), so Predict's mask is (steps, 2), the
        // step's mask repeated, which the LSTM run per step reads.
        var model = new Sequential(name: "added_axes", seed: 4);
        model.Add(new InputLayer(new TensorShape(5, 4), name: "x"));
        model.Add(new Masking());
        model.Add(new TimeDistributed(kind == "repeat_vector" ? new RepeatVector(2) : new Reshape(2, 2)));
        model.Add(new TimeDistributed(new Lstm(3, goBackwards: true)));
        model.Add(new Gru(2, returnSequences: true));
        model.Randomized();
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 5, 4), 6);
        Span<float> values = x.AsSpan();
        foreach ((int sample, int step) in new[] { (0, 0), (0, 1), (1, 4), (1, 2), (2, 0), (2, 1), (2, 2), (2, 3), (2, 4) })
        {
            values.Slice(((sample * 5) + step) * 4, 4).Clear();
        }

        OnnxRoundTrip.AssertMatchesPredictOn(model, x);
    }

    [Fact]
    public void ExportOnnx_MaskMadeTwoWrappersDeepLostBeforeItsReader_IsRefusedNamingWhatMadeIt()
    {
        // Concatenate along the documents joins the masks like the values, which the exporter does not follow.
        var ids = new Input(new TensorShape(2, 3, 4), name: "ids");
        var more = new Input(new TensorShape(1, 3, 4, 2), name: "more");
        SymbolicTensor words = new TimeDistributed(new TimeDistributed(new Embedding(10, 2, maskZero: true)), name: "words").Call(ids);
        SymbolicTensor joined = new Concatenate(axis: 1, name: "join").Call(words, more);
        SymbolicTensor read = new TimeDistributed(new TimeDistributed(new GlobalAveragePooling1D()), name: "reader").Call(joined);
        var model = new Functional([ids, more], [read], name: "lost");
        string message = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes()).Message;
        Assert.Contains("Layer 'reader' (TimeDistributed) of model 'lost' reads the mask that layer 'words' (TimeDistributed of a TimeDistributed of an Embedding with maskZero) makes, which NeuralNet.Onnx cannot follow through layer 'join' (Concatenate: joined along an axis the masks have)", message, StringComparison.Ordinal);
        Assert.Contains("Export a model built with maskZero: false", message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExportOnnx_TimeDistributedAddingOrDroppingSizeOneAxes_MatchesPredict()
    {
        // TimeDistributed(Flatten) over (1, 3) and TimeDistributed(Reshape(1, 4)): one flag per step, handed on in the
        // output's shape (Predict threw here before the core's fix, so only the export ran).
        var x = new Input(new TensorShape(5, 1, 3), "x");
        var flat = new Functional(x, new Lstm(2).Call(new TimeDistributed(new Flatten()).Call(new Masking().Call(x))), name: "flattened", seed: 5);
        Tensor values = Tensor.RandomNormal(new TensorShape(2, 5, 1, 3), 7);
        values.AsSpan()[..6].Clear();
        OnnxRoundTrip.AssertMatchesPredictOn(flat.Randomized(), values);

        var y = new Input(new TensorShape(5, 4), "y");
        var added = new Functional(y, new TimeDistributed(new Lstm(3)).Call(new TimeDistributed(new Reshape(1, 4)).Call(new Masking().Call(y))), name: "reshaped", seed: 8);
        Tensor more = Tensor.RandomNormal(new TensorShape(2, 5, 4), 9);
        more.AsSpan()[4..8].Clear();
        OnnxRoundTrip.AssertMatchesPredictOn(added.Randomized(), more);
    }
}
