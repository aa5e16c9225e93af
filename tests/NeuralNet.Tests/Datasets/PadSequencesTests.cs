using NeuralNet.Datasets;
using Xunit;

namespace NeuralNet.Tests.Datasets;

public class PadSequencesTests
{
    private static readonly int[][] Keras = [[1], [2, 3], [4, 5, 6]];

    // Keras' docstring: pad_sequences([[1], [2, 3], [4, 5, 6]]) and its variants.
    [Fact]
    public void Defaults_PadAtTheStart()
    {
        Tensor t = Sequences.PadSequences(Keras);
        Assert.Equal(new TensorShape(3, 3), t.Shape);
        Assert.Equal([0f, 0, 1, 0, 2, 3, 4, 5, 6], t.ToArray());
    }

    [Fact]
    public void ValueAndPost_AsKerasDocuments()
    {
        Assert.Equal([-1f, -1, 1, -1, 2, 3, 4, 5, 6], Sequences.PadSequences(Keras, value: -1).ToArray());
        Assert.Equal([1f, 0, 0, 2, 3, 0, 4, 5, 6], Sequences.PadSequences(Keras, padding: SequenceSide.Post).ToArray());
        Assert.Equal([0f, 1, 2, 3, 5, 6], Sequences.PadSequences(Keras, maxLength: 2).ToArray());
    }

    [Fact]
    public void Truncating_Post_KeepsTheFirstIds()
    {
        Assert.Equal([0f, 1, 2, 3, 4, 5], Sequences.PadSequences(Keras, maxLength: 2, truncating: SequenceSide.Post).ToArray());
        Assert.Equal([1f, 0, 2, 3, 4, 5], Sequences.PadSequences(Keras, maxLength: 2, padding: SequenceSide.Post, truncating: SequenceSide.Post).ToArray());
    }

    [Fact]
    public void EmptySequences_BecomeRowsOfPadding()
    {
        Assert.Equal([0f, 0, 0, 7], Sequences.PadSequences([[], [7]], maxLength: 2).ToArray());
        Assert.Contains("give maxLength", Assert.Throws<ArgumentException>(() => Sequences.PadSequences([[], []])).Message);
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => Sequences.PadSequences([]));
        Assert.Equal("maxLength", Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.PadSequences(Keras, maxLength: 0)).ParamName);
        Assert.Contains("Sequence 1 is null", Assert.Throws<ArgumentNullException>(() => Sequences.PadSequences([[1], null!])).Message);
        Assert.Equal("padding", Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.PadSequences(Keras, padding: (SequenceSide)5)).ParamName);
    }
}
