using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

public class ReshapeLayerTests
{
    // y[b, o_0, ..., o_r] = x[b, i_0, ..., i_r] with i_{dims[d] - 1} = o_d (Keras' 1-based dims).
    private static float[] ReferencePermute(Tensor x, int[] dims)
    {
        int[] inShape = x.Shape.Dimensions[1..].ToArray();
        int[] outShape = [.. dims.Select(d => inShape[d - 1])];
        int size = inShape.Aggregate(1, (p, d) => p * d);
        var y = new float[x.Length];
        var index = new int[inShape.Length];
        for (int s = 0; s < x.Shape[0]; s++)
        {
            for (int j = 0; j < size; j++)
            {
                int remainder = j;
                for (int d = outShape.Length - 1; d >= 0; d--)
                {
                    index[dims[d] - 1] = remainder % outShape[d];
                    remainder /= outShape[d];
                }

                int offset = 0;
                for (int d = 0; d < inShape.Length; d++)
                {
                    offset = (offset * inShape[d]) + index[d];
                }

                y[(s * size) + j] = x.AsReadOnlySpan()[(s * size) + offset];
            }
        }

        return y;
    }

    [Fact]
    public void Build_ReshapeToThreeByFour_OutputShape()
    {
        var layer = new Reshape(3, 4);
        layer.Build(new TensorShape(12));
        Assert.Equal(new TensorShape(3, 4), layer.OutputShape);
        Assert.Equal("(None, 3, 4)", layer.OutputShape.ToBatchString());
        Assert.Equal("reshape", layer.DefaultNamePrefix);
        Assert.Equal(0, layer.ParameterCount);
    }

    [Fact]
    public void Build_ReshapeWithMinusOne_InfersTheDimensionAsKerasDocstring()
    {
        var layer = new Reshape(-1, 2, 2);
        layer.Build(new TensorShape(12));
        Assert.Equal(new TensorShape(3, 2, 2), layer.OutputShape);
        Assert.Equal([-1, 2, 2], layer.TargetShape);
    }

    [Fact]
    public void ForwardBackward_Reshape_RowMajorValuesAndGradientReshapedBack()
    {
        var layer = new Reshape(3, 4);
        Tensor input = TestData.Normal(1, 1f, 2, 12);
        Tensor output = layer.Forward(input, training: false);
        Assert.Equal(new TensorShape(2, 3, 4), output.Shape);
        Assert.Equal(input.ToArray(), output.ToArray());
        Assert.Equal(input[1, 11], output[1, 2, 3]);
        Assert.Equal(input[0, 5], output[0, 1, 1]);

        Tensor g = TestData.Normal(2, 1f, 2, 3, 4);
        Tensor dx = layer.Backward(g);
        Assert.Equal(new TensorShape(2, 12), dx.Shape);
        Assert.Equal(g.ToArray(), dx.ToArray());
    }

    [Fact]
    public void Forward_ReshapeWithMinusOne_ValuesUnchanged()
    {
        var layer = new Reshape(-1, 2, 2);
        Tensor input = TestData.Normal(3, 1f, 3, 12);
        Tensor output = layer.Forward(input, training: false);
        Assert.Equal(new TensorShape(3, 3, 2, 2), output.Shape);
        Assert.Equal(input.ToArray(), output.ToArray());
        Assert.Equal(input[2, 7], output[2, 1, 1, 1]);
    }

    [Fact]
    public void Backward_Reshape_MatchesNumericalGradient()
    {
        GradientChecker.CheckLayer(new Reshape(2, -1), TestData.Normal(4, 1f, 2, 3, 4), seed: 5).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Build_ReshapeSizeMismatch_ThrowsNamingLayerAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => new Reshape([5, 3], "reshape").Build(new TensorShape(12)));
        Assert.Contains("Reshape 'reshape'", e.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 12)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 5, 3)", e.Message, StringComparison.Ordinal);

        var inferred = Assert.Throws<ArgumentException>(() => new Reshape([-1, 5], "reshape").Build(new TensorShape(12)));
        Assert.Contains("Reshape 'reshape' cannot reshape (None, 12)", inferred.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_TwoMinusOnesOrZero_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new Reshape(-1, -1));
        Assert.Contains("at most one -1", e.Message, StringComparison.Ordinal);
        Assert.Equal("targetShape", e.ParamName);
        Assert.Throws<ArgumentException>(() => new Reshape(3, 0));
        Assert.Throws<ArgumentException>(() => new Reshape(-2, 6));
        Assert.Throws<ArgumentException>(() => new Reshape());
    }

    [Fact]
    public void Build_PermuteTwoOne_SwapsAxesAsKerasDocstring()
    {
        var layer = new Permute(2, 1);
        layer.Build(new TensorShape(10, 64));
        Assert.Equal(new TensorShape(64, 10), layer.OutputShape);
        Assert.Equal("permute", layer.DefaultNamePrefix);
        Assert.Equal([2, 1], layer.Dims);
    }

    [Fact]
    public void Forward_PermuteTwoOne_Transposes()
    {
        var layer = new Permute(2, 1);
        Tensor input = TestData.Normal(6, 1f, 2, 10, 64);
        Tensor output = layer.Forward(input, training: false);
        Assert.Equal(new TensorShape(2, 64, 10), output.Shape);
        for (int b = 0; b < 2; b++)
        {
            for (int i = 0; i < 64; i++)
            {
                for (int j = 0; j < 10; j++)
                {
                    Assert.Equal(input[b, j, i], output[b, i, j]);
                }
            }
        }
    }

    [Fact]
    public void Forward_PermuteRankThree_MatchesReference()
    {
        var layer = new Permute(3, 1, 2);
        Tensor input = TestData.Normal(7, 1f, 2, 2, 3, 4);
        Tensor output = layer.Forward(input, training: false);
        Assert.Equal(new TensorShape(2, 4, 2, 3), output.Shape);
        Assert.Equal(ReferencePermute(input, [3, 1, 2]), output.ToArray());
        Assert.Equal(input[1, 1, 2, 3], output[1, 3, 1, 2]);
    }

    [Theory]
    [InlineData(new[] { 2, 1 }, new[] { 3, 4 })]
    [InlineData(new[] { 3, 1, 2 }, new[] { 2, 3, 4 })]
    [InlineData(new[] { 2, 3, 1 }, new[] { 2, 3, 4 })]
    [InlineData(new[] { 1, 3, 2 }, new[] { 2, 1, 3 })]
    [InlineData(new[] { 1 }, new[] { 5 })]
    public void ForwardBackward_Permute_MatchesReferenceAndNumericalGradient(int[] dims, int[] sampleShape)
    {
        Tensor input = TestData.Normal(8, 1f, [2, .. sampleShape]);
        var layer = new Permute(dims);
        Assert.Equal(ReferencePermute(input, dims), layer.Forward(input, training: false).ToArray());
        GradientChecker.CheckLayer(layer, input, seed: 9).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_Permute_AppliesTheInversePermutation()
    {
        var layer = new Permute(3, 1, 2);
        layer.Forward(TestData.Normal(10, 1f, 2, 2, 3, 4), training: false);
        Tensor g = TestData.Normal(11, 1f, 2, 4, 2, 3);
        Tensor dx = layer.Backward(g);
        Assert.Equal(new TensorShape(2, 2, 3, 4), dx.Shape);

        // The inverse of (3, 1, 2) is (2, 3, 1).
        Assert.Equal(ReferencePermute(g, [2, 3, 1]), dx.ToArray());
    }

    [Theory]
    [InlineData(new[] { 1, 3 })]
    [InlineData(new[] { 0, 1 })]
    [InlineData(new[] { 1, 1 })]
    [InlineData(new[] { 2, 3 })]
    [InlineData(new int[0])]
    public void Constructor_PermuteNotAPermutation_Throws(int[] dims)
    {
        var e = Assert.Throws<ArgumentException>(() => new Permute(dims));
        Assert.Contains("Invalid permutation argument `dims`", e.Message, StringComparison.Ordinal);
        Assert.Equal("dims", e.ParamName);
    }

    [Fact]
    public void Build_PermuteOfOtherRank_ThrowsNamingLayerAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => new Permute([2, 1], "permute").Build(new TensorShape(2, 3, 4)));
        Assert.Contains("Permute 'permute' permutes 2 sample axes but its input (None, 2, 3, 4) has 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_RepeatVector_RepeatsEachSampleAsKerasDocstring()
    {
        var layer = new RepeatVector(3);
        layer.Build(new TensorShape(32));
        Assert.Equal(new TensorShape(3, 32), layer.OutputShape);
        Assert.Equal("repeat_vector", layer.DefaultNamePrefix);

        Tensor input = TestData.Normal(12, 1f, 2, 32);
        Tensor output = layer.Forward(input, training: false);
        Assert.Equal(new TensorShape(2, 3, 32), output.Shape);
        for (int b = 0; b < 2; b++)
        {
            for (int r = 0; r < 3; r++)
            {
                for (int f = 0; f < 32; f++)
                {
                    Assert.Equal(input[b, f], output[b, r, f]);
                }
            }
        }
    }

    [Fact]
    public void Backward_RepeatVector_SumsOverRepeats()
    {
        var layer = new RepeatVector(3);
        layer.Forward(TestData.Normal(13, 1f, 2, 5), training: false);
        Tensor g = TestData.Normal(14, 1f, 2, 3, 5);
        Tensor dx = layer.Backward(g);
        Assert.Equal(new TensorShape(2, 5), dx.Shape);
        for (int b = 0; b < 2; b++)
        {
            for (int f = 0; f < 5; f++)
            {
                Assert.Equal(g[b, 0, f] + g[b, 1, f] + g[b, 2, f], dx[b, f], 1e-6f);
            }
        }

        GradientChecker.CheckLayer(new RepeatVector(4), TestData.Normal(15, 1f, 3, 6), seed: 16).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Build_RepeatVectorOfRankThree_ThrowsNamingLayerAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => new RepeatVector(3, "repeat_vector").Build(new TensorShape(4, 5)));
        Assert.Contains("RepeatVector 'repeat_vector' expects input (None, features) of rank 2 but got (None, 4, 5)", e.Message, StringComparison.Ordinal);

        var count = Assert.Throws<ArgumentOutOfRangeException>(() => new RepeatVector(0));
        Assert.Equal("count", count.ParamName);
    }

    [Fact]
    public void ForwardBackward_Identity_PassesValuesAndGradientsThrough()
    {
        var layer = new Identity();
        Tensor input = TestData.Normal(17, 1f, 2, 3, 4);
        Tensor output = layer.Forward(input, training: true);
        Assert.Equal(input.Shape, output.Shape);
        Assert.Equal(input.ToArray(), output.ToArray());
        Assert.Equal(new TensorShape(3, 4), layer.OutputShape);
        Assert.Equal("identity", layer.DefaultNamePrefix);

        Tensor g = TestData.Normal(18, 1f, 2, 3, 4);
        Assert.Equal(g.ToArray(), layer.Backward(g).ToArray());
        GradientChecker.CheckLayer(new Identity(), input, seed: 19).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Recreate_BuiltShapeLayers_KeepTheirArguments()
    {
        var reshape = new Reshape([-1, 2, 2], "reshape");
        reshape.Build(new TensorShape(12));
        var reshapeCopy = Assert.IsType<Reshape>(SerializationRegistry.Recreate(reshape));
        Assert.Equal([-1, 2, 2], reshapeCopy.TargetShape);
        Assert.Equal("reshape", reshapeCopy.Name);
        Assert.False(reshapeCopy.IsBuilt);

        var permute = new Permute([3, 1, 2], "permute");
        permute.Build(new TensorShape(2, 3, 4));
        Assert.Equal([3, 1, 2], Assert.IsType<Permute>(SerializationRegistry.Recreate(permute)).Dims);

        var repeat = new RepeatVector(3, "repeat");
        repeat.Build(new TensorShape(5));
        Assert.Equal(3, Assert.IsType<RepeatVector>(SerializationRegistry.Recreate(repeat)).Count);

        var identity = new Identity("id");
        identity.Build(new TensorShape(5));
        Assert.Equal("id", Assert.IsType<Identity>(SerializationRegistry.Recreate(identity)).Name);

        foreach (Layer layer in new Layer[] { reshape, permute, repeat, identity })
        {
            Assert.Equal(layer.GetConfig().ToJson(), SerializationRegistry.Recreate(layer).GetConfig().ToJson());
        }
    }
}
