using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

/// <summary>
/// DepthToSpace and SpaceToDepth against TensorFlow's documented examples (the tf.nn.depth_to_space and
/// tf.nn.space_to_depth docstrings), a plain index reference on random shapes, PyTorch's PixelShuffle with the channels
/// reordered, and numerical gradients.
/// </summary>
public class DepthSpaceTests
{
    private static float[] Range(int count) => [.. Enumerable.Range(1, count).Select(i => (float)i)];

    // out[n, i*b + bi, j*b + bj, k] = in[n, i, j, (bi*b + bj)*c + k]: TensorFlow's channels-last DCR order, one element at a time.
    private static float[] ReferenceDepthToSpace(Tensor x, int b)
    {
        int n = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3] / (b * b);
        float[] input = x.ToArray();
        var output = new float[input.Length];
        for (int s = 0; s < n; s++)
        {
            for (int y = 0; y < h * b; y++)
            {
                for (int z = 0; z < w * b; z++)
                {
                    for (int k = 0; k < c; k++)
                    {
                        int depthChannel = ((((y % b) * b) + (z % b)) * c) + k;
                        output[((((s * h * b) + y) * w * b) + z) * c + k] = input[((((s * h) + (y / b)) * w) + (z / b)) * c * b * b + depthChannel];
                    }
                }
            }
        }

        return output;
    }

    [Fact]
    public void DepthToSpace_TensorFlowDocstringExamples_GiveTheDocumentedValues()
    {
        // x = [[[[1, 2, 3, 4]]]] (1, 1, 1, 4), block 2 -> [[[[1], [2]], [[3], [4]]]] (1, 2, 2, 1).
        var one = new DepthToSpace(2);
        Tensor y = one.Forward(Tensor.FromArray(Range(4), 1, 1, 1, 4), training: false);
        Assert.Equal(new TensorShape(1, 2, 2, 1), y.Shape);
        Assert.Equal([1f, 2, 3, 4], y.ToArray());

        // [[[[1..12]]]] (1, 1, 1, 12) -> [[[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]] (1, 2, 2, 3).
        Tensor three = new DepthToSpace(2).Forward(Tensor.FromArray(Range(12), 1, 1, 1, 12), training: false);
        Assert.Equal(new TensorShape(1, 2, 2, 3), three.Shape);
        Assert.Equal(Range(12), three.ToArray());

        // [[[[1, 2, 3, 4], [5, 6, 7, 8]], [[9, 10, 11, 12], [13, 14, 15, 16]]]] (1, 2, 2, 4) -> (1, 4, 4, 1):
        // [[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]].
        Tensor four = new DepthToSpace(2).Forward(Tensor.FromArray(Range(16), 1, 2, 2, 4), training: false);
        Assert.Equal(new TensorShape(1, 4, 4, 1), four.Shape);
        Assert.Equal([1f, 2, 5, 6, 3, 4, 7, 8, 9, 10, 13, 14, 11, 12, 15, 16], four.ToArray());
    }

    [Fact]
    public void SpaceToDepth_TensorFlowDocstringExamples_GiveTheDocumentedValues()
    {
        // [[[[1], [2]], [[3], [4]]]] (1, 2, 2, 1) -> [[[[1, 2, 3, 4]]]] (1, 1, 1, 4).
        Tensor y = new SpaceToDepth(2).Forward(Tensor.FromArray(Range(4), 1, 2, 2, 1), training: false);
        Assert.Equal(new TensorShape(1, 1, 1, 4), y.Shape);
        Assert.Equal([1f, 2, 3, 4], y.ToArray());

        // (1, 4, 4, 1) [[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]] -> (1, 2, 2, 4)
        // [[[1, 2, 3, 4], [5, 6, 7, 8]], [[9, 10, 11, 12], [13, 14, 15, 16]]].
        Tensor four = new SpaceToDepth(2).Forward(Tensor.FromArray([1f, 2, 5, 6, 3, 4, 7, 8, 9, 10, 13, 14, 11, 12, 15, 16], 1, 4, 4, 1), training: false);
        Assert.Equal(new TensorShape(1, 2, 2, 4), four.Shape);
        Assert.Equal(Range(16), four.ToArray());
    }

    [Theory]
    [InlineData(1, 1, 1, 1, 2)]
    [InlineData(2, 3, 5, 2, 2)]
    [InlineData(3, 2, 4, 3, 3)]
    [InlineData(2, 4, 3, 5, 4)]
    public void DepthToSpace_RandomShapes_MatchesThePlainReferenceAndSpaceToDepthUndoesIt(int n, int h, int w, int c, int b)
    {
        Tensor x = TestData.Normal(n * 100 + h * 10 + w, 1f, n, h, w, c * b * b);

        Tensor space = new DepthToSpace(b).Forward(x, training: false);

        Assert.Equal(new TensorShape(n, h * b, w * b, c), space.Shape);
        Assert.Equal(ReferenceDepthToSpace(x, b), space.ToArray());
        Assert.Equal(x.ToArray(), new SpaceToDepth(b).Forward(space, training: false).ToArray());
    }

    [Fact]
    public void DepthToSpace_PyTorchPixelShuffleWithChannelsReordered_GivesTheSameImage()
    {
        // PixelShuffle (NCHW, CRD): out[n, k, i*b + bi, j*b + bj] = in[n, k*b*b + bi*b + bj, i, j]. Feeding it the channels
        // that DepthToSpace reads at (bi*b + bj)*c + k gives the same image, channels first.
        const int n = 2, h = 3, w = 2, c = 3, b = 2;
        Tensor x = TestData.Normal(77, 1f, n, h, w, c * b * b);
        float[] nhwc = x.ToArray();
        var pytorchIn = new float[nhwc.Length];
        for (int s = 0; s < n; s++)
        {
            for (int i = 0; i < h; i++)
            {
                for (int j = 0; j < w; j++)
                {
                    for (int k = 0; k < c; k++)
                    {
                        for (int block = 0; block < b * b; block++)
                        {
                            // NCHW with channel k*b*b + block holds what NHWC holds at channel block*c + k.
                            pytorchIn[(((s * c * b * b) + (k * b * b) + block) * h + i) * w + j] = nhwc[((((s * h) + i) * w) + j) * c * b * b + (block * c) + k];
                        }
                    }
                }
            }
        }

        var shuffled = new float[nhwc.Length];
        for (int s = 0; s < n; s++)
        {
            for (int k = 0; k < c; k++)
            {
                for (int y = 0; y < h * b; y++)
                {
                    for (int z = 0; z < w * b; z++)
                    {
                        int channel = (k * b * b) + ((y % b) * b) + (z % b);
                        shuffled[(((s * c) + k) * h * b + y) * w * b + z] = pytorchIn[(((s * c * b * b) + channel) * h + (y / b)) * w + (z / b)];
                    }
                }
            }
        }

        float[] ours = new DepthToSpace(b).Forward(x, training: false).ToArray();
        for (int s = 0; s < n; s++)
        {
            for (int y = 0; y < h * b; y++)
            {
                for (int z = 0; z < w * b; z++)
                {
                    for (int k = 0; k < c; k++)
                    {
                        Assert.Equal(shuffled[(((s * c) + k) * h * b + y) * w * b + z], ours[((((s * h * b) + y) * w * b) + z) * c + k]);
                    }
                }
            }
        }
    }

    [Fact]
    public void DepthToSpace_Backward_MatchesNumericalGradients() =>
        GradientChecker.CheckLayer(new DepthToSpace(2), TestData.Normal(31, 1f, 2, 2, 3, 8), seed: 32).AssertPassed(maxKinkFraction: 0);

    [Fact]
    public void SpaceToDepth_Backward_MatchesNumericalGradients() =>
        GradientChecker.CheckLayer(new SpaceToDepth(3), TestData.Normal(33, 1f, 2, 3, 6, 2), seed: 34).AssertPassed(maxKinkFraction: 0);

    [Fact]
    public void DepthToSpace_VariableHeightAndWidth_TakesBatchesOfAnySize()
    {
        // ESPCN's head: Input(shape=(None, None, 9)) ... depth_to_space(x, 3).
        var input = new Input([null, null, 9], name: "low_res");
        var model = new Functional(input, new DepthToSpace(3).Call(input));

        Assert.Equal([0, 1], model.Outputs[0].VariableAxes);
        foreach ((int h, int w) in new[] { (2, 5), (7, 3) })
        {
            Tensor x = TestData.Normal(h * w, 1f, 2, h, w, 9);
            Tensor y = model.Predict(x);
            Assert.Equal(new TensorShape(2, h * 3, w * 3, 1), y.Shape);
            Assert.Equal(ReferenceDepthToSpace(x, 3), y.ToArray());
        }
    }

    [Fact]
    public void SpaceToDepth_VariableHeightAndWidth_TakesMultiplesOfTheBlock()
    {
        var input = new Input([null, null, 3], name: "image");
        var model = new Functional(input, new SpaceToDepth(2).Call(input));
        Tensor x = TestData.Normal(5, 1f, 2, 4, 6, 3);

        Tensor y = model.Predict(x);

        Assert.Equal(new TensorShape(2, 2, 3, 12), y.Shape);
        Assert.Equal(x.ToArray(), ReferenceDepthToSpace(y, 2));
        Assert.Throws<ArgumentException>(() => model.Predict(TestData.Normal(6, 1f, 1, 5, 4, 3)));
    }

    [Fact]
    public void Constructors_AndBuild_RefuseBadBlocksAndShapesNamingThem()
    {
        Assert.Contains("blockSize=1", Assert.Throws<ArgumentOutOfRangeException>(() => new DepthToSpace(1)).Message, StringComparison.Ordinal);
        Assert.Contains("blockSize=0", Assert.Throws<ArgumentOutOfRangeException>(() => new SpaceToDepth(0)).Message, StringComparison.Ordinal);

        var e = Assert.Throws<ArgumentException>(() => new DepthToSpace(2, name: "shuffle").Build(new TensorShape(4, 4, 6)));
        Assert.Contains("DepthToSpace 'shuffle' expects input (None, height, width, channels) with channels a multiple of blockSize² = 4 but got (None, 4, 4, 6)", e.Message, StringComparison.Ordinal);
        var s = Assert.Throws<ArgumentException>(() => new SpaceToDepth(2, name: "unshuffle").Build(new TensorShape(4, 5, 1)));
        Assert.Contains("SpaceToDepth 'unshuffle' expects input (None, height, width, channels) with height and width multiples of blockSize = 2 but got (None, 4, 5, 1)", s.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DepthToSpace(2).Build(new TensorShape(4, 8)));
    }

    [Fact]
    public void SaveAndLoad_ModelWithBothLayers_RoundTripsBlockSizesAndValues()
    {
        var input = new Input(4, 6, 2, name: "image");
        SymbolicTensor packed = new SpaceToDepth(2, name: "pack").Call(input);
        SymbolicTensor mixed = new Conv2D(12, 1).Call(packed);
        var model = new Functional(input, new DepthToSpace(2, name: "unpack").Call(mixed), seed: 4);
        Tensor x = TestData.Normal(8, 1f, 3, 4, 6, 2);
        string path = Path.Combine(Path.GetTempPath(), $"depth-space-{Guid.NewGuid():N}.safetensors");
        Model loaded;
        try
        {
            model.Save(path);
            loaded = Model.Load(path);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Equal(2, ((SpaceToDepth)loaded.GetLayer("pack")).BlockSize);
        Assert.Equal(2, ((DepthToSpace)loaded.GetLayer("unpack")).BlockSize);
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
    }
}
