using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

public class EmbeddingTests
{
    [Fact]
    public void Looks_up_rows_for_ids_of_any_rank()
    {
        var layer = new Embedding(4, 3, new Constant(0f));
        layer.Build(new TensorShape(2, 2));
        layer.Forward(Tensor.Zeros(1, 2, 2), training: false);
        Tensor.FromArray([.. Enumerable.Range(0, 12).Select(i => (float)i)], 4, 3).AsReadOnlySpan().CopyTo(layer.Embeddings.Value.AsSpan());

        Tensor output = layer.Forward(Tensor.FromArray([3, 0, 1, 3], 1, 2, 2), training: false);

        Assert.Equal([1, 2, 2, 3], output.Shape.Dimensions.ToArray());
        Assert.Equal([9f, 10, 11, 0, 1, 2, 3, 4, 5, 9, 10, 11], output.ToArray());
    }

    [Fact]
    public void Repeated_ids_accumulate_and_unseen_ids_get_a_zero_gradient()
    {
        var layer = new Embedding(5, 2);
        layer.Build(new TensorShape(3));
        layer.Forward(Tensor.FromArray([1, 3, 1], 1, 3), training: true);
        layer.Embeddings.ZeroGradient();

        Tensor inputGradient = layer.Backward(Tensor.FromArray([1, 2, 10, 20, 100, 200], 1, 3, 2));

        Assert.Equal([0f, 0, 101, 202, 0, 0, 10, 20, 0, 0], layer.Embeddings.Gradient.ToArray());
        Assert.All(inputGradient.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Embeddings_gradient_matches_numerical_gradients()
    {
        var layer = new Embedding(6, 4) { Seed = 2, ComputesInputGradient = false };
        layer.Build(new TensorShape(5));
        GradientChecker.CheckLayer(layer, Tensor.FromArray([0, 5, 2, 2, 3, 1, 1, 4, 0, 5], 2, 5), seed: 3).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData(7f, "holds 7 at position 1")]
    [InlineData(-1f, "holds -1 at position 1")]
    [InlineData(2.5f, "holds 2.5 at position 1")]
    [InlineData(float.NaN, "holds NaN at position 1")]
    public void Bad_ids_name_the_batch_row_and_position(float id, string expected)
    {
        var layer = new Embedding(7, 2, name: "tokens");
        layer.Build(new TensorShape(3));
        var error = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.FromArray([0, 1, 2, 3, id, 5], 2, 3), training: false));
        Assert.Contains("Embedding 'tokens' expects whole-number ids in [0, 7) but row 1 of its batch of 2 " + expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Initial_values_are_keras_uniform_within_five_hundredths()
    {
        var layer = new Embedding(100, 8) { Seed = 1 };
        layer.Build(new TensorShape(2));
        layer.Forward(Tensor.Zeros(1, 2), training: false);
        float[] values = layer.Embeddings.Value.ToArray();
        Assert.All(values, v => Assert.InRange(v, -0.05f, 0.05f));
        Assert.True(values.Distinct().Count() > 700);
    }

    [Fact]
    public void Constructor_VocabularyBeyondFloat32Ids_IsRefusedNamingTheLimit()
    {
        // Id 16,777,217 arrives as 16,777,216 in a float32 tensor: such a vocabulary has rows no id reaches.
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding(Embedding.MaxInputDim + 1, 4));
        Assert.Equal("inputDim", ex.ParamName);
        Assert.Contains("16,777,216", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Embedding.MaxInputDim, new Embedding(Embedding.MaxInputDim, 1).InputDim);
    }
}
