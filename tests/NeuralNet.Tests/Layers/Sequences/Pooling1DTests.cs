using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

public class Pooling1DTests
{
    private static readonly Tensor Sequence = Tensor.FromArray([1, -1, 5, 2, 3, 0, 2, 7, 4, 4], 1, 5, 2);

    [Fact]
    public void Max_and_average_pooling_follow_keras_windows()
    {
        Assert.Equal([5f, 2, 3, 7], Run(new MaxPooling1D(2), Sequence));
        Assert.Equal([3f, 0.5f, 2.5f, 3.5f], Run(new AveragePooling1D(2), Sequence));

        // 'same', pool 2, stride 2 on 5 steps: windows {0,1}, {2,3}, {4} (the odd padded step after is ignored).
        Assert.Equal([5f, 2, 3, 7, 4, 4], Run(new MaxPooling1D(2, padding: Padding.Same), Sequence));
        Assert.Equal([3f, 0.5f, 2.5f, 3.5f, 4, 4], Run(new AveragePooling1D(2, padding: Padding.Same), Sequence));

        // Overlapping windows: pool 3, stride 1.
        Assert.Equal([5f, 2, 5, 7, 4, 7], Run(new MaxPooling1D(3, 1), Sequence));
    }

    [Fact]
    public void Global_pooling_reduces_every_position()
    {
        Assert.Equal([5f, 7], Run(new GlobalMaxPooling1D(), Sequence));
        Assert.Equal([3f, 2.4f], Run(new GlobalAveragePooling1D(), Sequence));
        Assert.Equal([5f, 7], Run(new GlobalMaxPooling2D(), Tensor.FromArray([1, -1, 5, 2, 3, 0, 2, 7], 1, 2, 2, 2)));
    }

    public static TheoryData<int> Layers => [0, 1, 2, 3, 4, 5, 6];

    [Theory]
    [MemberData(nameof(Layers))]
    public void Backward_matches_numerical_gradients(int which)
    {
        (Layer layer, TensorShape shape) = which switch
        {
            0 => ((Layer)new MaxPooling1D(2), new TensorShape(7, 3)),
            1 => (new MaxPooling1D(3, 2, Padding.Same), new TensorShape(8, 3)),
            2 => (new AveragePooling1D(2), new TensorShape(7, 3)),
            3 => (new AveragePooling1D(3, 2, Padding.Same), new TensorShape(8, 3)),
            4 => (new GlobalMaxPooling1D(), new TensorShape(6, 3)),
            5 => (new GlobalAveragePooling1D(), new TensorShape(6, 3)),
            _ => (new GlobalMaxPooling2D(), new TensorShape(3, 4, 2)),
        };
        layer.Build(shape);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(shape.Prepend(2), 3 + which), seed: 1).AssertPassed(maxKinkFraction: 0.02);
    }

    [Fact]
    public void Wrong_ranks_are_named()
    {
        var pool = new GlobalMaxPooling1D(name: "pool");
        var error = Assert.Throws<ArgumentException>(() => pool.Build(new TensorShape(4, 4, 2)));
        Assert.Contains("GlobalMaxPooling1D 'pool' expects input (None, steps, channels) but got (None, 4, 4, 2)", error.Message, StringComparison.Ordinal);
    }

    private static float[] Run(Layer layer, Tensor input)
    {
        layer.Build(input.Shape.DropFirst());
        return layer.Forward(input, training: false).ToArray();
    }
}
