using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers.Preprocessing;

// Expectations from Keras 3's category_encoding_test.py (batched cases) and the layer's docstring.
public class CategoryEncodingTests
{
    [Fact]
    public void Forward_KerasBatchedCount_CountsEachRow()
    {
        var layer = new CategoryEncoding(6, CategoryOutputMode.Count);
        Tensor y = layer.Forward(Tensor.FromArray(new float[,] { { 1, 2, 3, 1 }, { 0, 3, 1, 0 } }), training: false);
        Assert.Equal(new TensorShape(2, 6), y.Shape);
        Assert.Equal([0f, 2, 1, 1, 0, 0, 2, 1, 0, 1, 0, 0], y.ToArray());
    }

    [Fact]
    public void Forward_KerasBatchedMultiHot_MarksEachId()
    {
        var layer = new CategoryEncoding(6);
        Assert.Equal([1f, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0], layer.Forward(Tensor.FromArray(new float[,] { { 3, 2, 0, 1 }, { 3, 2, 0, 1 } }), training: false).ToArray());

        // Docstring: [[0, 1], [0, 0], [1, 2], [3, 1]] with 4 tokens.
        Assert.Equal([1f, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1], new CategoryEncoding(4).Forward(Tensor.FromArray(new float[,] { { 0, 1 }, { 0, 0 }, { 1, 2 }, { 3, 1 } }), training: false).ToArray());
    }

    [Fact]
    public void Forward_KerasOneHotRanks_FollowKerasShapes()
    {
        // Rank 1: one vector per id.
        Tensor single = new CategoryEncoding(6, CategoryOutputMode.OneHot).Forward(Tensor.FromArray([3f, 2, 0, 1], 4), training: false);
        Assert.Equal(new TensorShape(4, 6), single.Shape);
        Assert.Equal([0f, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], single.ToArray());

        // (4, 1): the last axis of size 1 is replaced.
        Tensor column = new CategoryEncoding(6, CategoryOutputMode.OneHot).Forward(Tensor.FromArray([3f, 2, 0, 1], 4, 1), training: false);
        Assert.Equal(new TensorShape(4, 6), column.Shape);
        Assert.Equal(single.ToArray(), column.ToArray());

        // (2, 4): a new axis.
        Tensor batched = new CategoryEncoding(6, CategoryOutputMode.OneHot).Forward(Tensor.FromArray(new float[,] { { 3, 2, 0, 1 }, { 3, 2, 0, 1 } }), training: false);
        Assert.Equal(new TensorShape(2, 4, 6), batched.Shape);
        Assert.Equal([.. single.ToArray(), .. single.ToArray()], batched.ToArray());
    }

    [Theory]
    [InlineData(CategoryOutputMode.OneHot)]
    [InlineData(CategoryOutputMode.MultiHot)]
    [InlineData(CategoryOutputMode.Count)]
    public void Forward_RandomIds_MatchPlainReference(CategoryOutputMode mode)
    {
        var random = new Random(3);
        const int batch = 5, length = 7, tokens = 9;
        float[] ids = [.. Enumerable.Range(0, batch * length).Select(_ => (float)random.Next(tokens))];
        float[] y = new CategoryEncoding(tokens, mode).Forward(Tensor.FromArray(ids, batch, length), training: false).ToArray();
        var expected = new float[mode == CategoryOutputMode.OneHot ? batch * length * tokens : batch * tokens];
        for (int i = 0; i < ids.Length; i++)
        {
            int id = (int)ids[i];
            switch (mode)
            {
                case CategoryOutputMode.OneHot: expected[(i * tokens) + id] = 1; break;
                case CategoryOutputMode.MultiHot: expected[(i / length * tokens) + id] = 1; break;
                default: expected[(i / length * tokens) + id] += 1; break;
            }
        }

        Assert.Equal(expected, y);
    }

    [Fact]
    public void BadInput_IdsOutOfRangeOrFractional_ThrowNamingSampleAndPosition()
    {
        var layer = new CategoryEncoding(3, name: "enc");
        var error = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.FromArray(new float[,] { { 0, 1 }, { 2, 3 } }), training: false));
        Assert.Contains("CategoryEncoding 'enc': input values must be whole numbers in the range 0 <= values < num_tokens with num_tokens=3, but sample 1 at position 1 holds 3", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.FromArray(new float[,] { { 0, 1.5f } }), training: false));
        Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.FromArray(new float[,] { { -1, 0 } }), training: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CategoryEncoding(0));
        Assert.Throws<ArgumentException>(() => new CategoryEncoding(3, CategoryOutputMode.Int));
    }

    [Fact]
    public void SaveLoad_InAFunctionalModel_RoundTripsBitForBit()
    {
        var input = new Input(4);
        SymbolicTensor counts = new CategoryEncoding(5, CategoryOutputMode.Count).Call(input);
        var model = new Functional(input, new Dense(2).Call(counts), seed: 3);
        Tensor x = Tensor.FromArray(new float[,] { { 0, 1, 1, 4 }, { 3, 3, 3, 2 } });
        LayerTestKit.AssertRoundTrip(model, x);
        Assert.Contains("\"num_tokens\":5,\"output_mode\":\"count\",\"sparse\":false", model.Layers[1].GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.Equal(CategoryOutputMode.OneHot, Assert.IsType<CategoryEncoding>(SerializationRegistry.Recreate(new CategoryEncoding(2, CategoryOutputMode.OneHot))).OutputMode);
    }

    [Fact]
    public void Forward_AfterWarmUp_AllocatesNothing()
    {
        var layer = new CategoryEncoding(8, CategoryOutputMode.Count);
        Tensor x = Tensor.FromArray(new float[,] { { 0, 1, 7 }, { 3, 3, 2 } });
        Tensor dy = Tensor.Ones(2, 8);
        layer.Forward(x, training: true);
        layer.Backward(dy);
        AllocationCheck.AssertNone(() =>
        {
            layer.Forward(x, training: true);
            layer.Backward(dy);
        });
    }
}
