using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

// Per-pixel softmax segmentation heads (Keras' U-Net ends with Conv2D(classes, 3, activation="softmax")) take the fused
// cross-entropy gradient (p - t) / n, as a Dense softmax does, instead of -t / p through the softmax derivative.
public class Conv2DSoftmaxFusionTests
{
    private const int Batch = 2, Side = 4, Channels = 3, Classes = 5;

    private static Conv2D Built(int dilation = 1, ActivationFunction? activation = null, long seed = 7)
    {
        var layer = new Conv2D(Classes, (3, 3), padding: Padding.Same, dilationRate: (dilation, dilation),
            activation: activation ?? ActivationFunction.Softmax, name: "head") { Seed = seed };
        layer.Build(new TensorShape(Side, Side, Channels));
        return layer;
    }

    [Fact]
    public void EndsWithSoftmax_OnlyForSoftmaxActivation()
    {
        Assert.True(Built().EndsWithSoftmax);
        Assert.False(Built(activation: ActivationFunction.Relu).EndsWithSoftmax);
        Assert.False(Built(activation: ActivationFunction.Linear).EndsWithSoftmax);
    }

    [Theory]
    [InlineData(false, 1, 1)]
    [InlineData(true, 1, 1)]
    [InlineData(true, 2, 1)] // dilated: the general (per-group GEMM) path
    [InlineData(false, 1, 3)] // grouped: the general path too
    public void BackwardFromLogitsGradient_MatchesUnfusedPath(bool sparse, int dilation, int groups)
    {
        int classes = groups == 1 ? Classes : 2 * groups; // the filters must divide into the groups
        Conv2D NewLayer()
        {
            var layer = new Conv2D(classes, (3, 3), padding: Padding.Same, dilationRate: (dilation, dilation), groups: groups,
                activation: ActivationFunction.Softmax, name: "head") { Seed = 7 };
            layer.Build(new TensorShape(Side, Side, Channels));
            return layer;
        }

        AssertFusedMatchesUnfused(NewLayer, TestData.Normal(4, 1f, Batch, Side, Side, Channels), sparse, classes, Batch, Side, Side);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Conv1D_BackwardFromLogitsGradient_MatchesUnfusedPath(bool sparse)
    {
        // A per-step classifier over a sequence (token tagging with a convolution head).
        const int Steps = 6;
        Conv1D NewLayer()
        {
            var layer = new Conv1D(Classes, 3, padding: Padding.Same, activation: ActivationFunction.Softmax, name: "tagger") { Seed = 4 };
            layer.Build(new TensorShape(Steps, Channels));
            return layer;
        }

        Assert.True(NewLayer().EndsWithSoftmax);
        AssertFusedMatchesUnfused(NewLayer, TestData.Normal(9, 1f, Batch, Steps, Channels), sparse, Classes, Batch, Steps);
    }

    // The fused (p - t) / n gradient handed to BackwardFromLogitsGradient gives the input and parameter gradients of the
    // loss's own gradient back-propagated through the softmax.
    private static void AssertFusedMatchesUnfused(Func<Layer> newLayer, Tensor input, bool sparse, int classes, params int[] labelShape)
    {
        Loss loss = sparse ? new SparseCategoricalCrossEntropy() : new CategoricalCrossEntropy();
        Tensor labels = TestData.Labels(3, labelShape.Aggregate(1, (n, d) => n * d), classes);
        Tensor targets = sparse ? labels.Reshape(labelShape) : TestData.OneHot(labels, classes).Reshape([.. labelShape, classes]);

        Layer unfused = newLayer();
        Tensor p = unfused.Forward(input, training: true);
        var lossGradient = new Tensor(p.Shape);
        loss.Gradient(p, targets, lossGradient);
        float[] inputGradient = unfused.Backward(lossGradient).ToArray();

        Layer fused = newLayer();
        Tensor q = fused.Forward(input, training: true);
        var logitsGradient = new Tensor(q.Shape);
        ((ISoftmaxCrossEntropy)loss).LogitsGradient(q, targets, logitsGradient);
        Assert.Equal(inputGradient, fused.BackwardFromLogitsGradient(logitsGradient).ToArray(), new Tolerance(1e-5f));
        for (int i = 0; i < unfused.Parameters.Count; i++)
        {
            Assert.Equal(unfused.Parameters[i].Gradient.ToArray(), fused.Parameters[i].Gradient.ToArray(), new Tolerance(1e-5f));
        }
    }

    [Fact]
    public void Backward_AfterFusedPass_DifferentiatesThroughSoftmaxAgain()
    {
        // The fused pass must not leave the layer skipping the softmax derivative for a later ordinary Backward.
        Tensor input = TestData.Normal(5, 1f, Batch, Side, Side, Channels);
        var gradient = TestData.Normal(6, 1f, Batch, Side, Side, Classes);
        Conv2D reference = Built();
        reference.Forward(input, training: true);
        float[] expected = reference.Backward(gradient).ToArray();

        Conv2D layer = Built();
        layer.Forward(input, training: true);
        layer.BackwardFromLogitsGradient(gradient);
        layer.Forward(input, training: true);
        Assert.Equal(expected, layer.Backward(gradient).ToArray(), new Tolerance(1e-6f));
    }

    [Fact]
    public void Fit_SaturatedWrongPixel_StillLearns()
    {
        // One pixel whose logits are +-40 apart: p(label) = exp(-80) underflows to 0, and the unfused gradient through
        // the clipped probability would be 0 there (the pixel stops learning). Fused, dLoss/dlogit = p - 1 = -1 per pixel.
        var head = new Conv2D(2, (1, 1), activation: ActivationFunction.Softmax, useBias: false, name: "head");
        var model = new Sequential([new InputLayer(new TensorShape(1, 1, 1)), head], name: "segmenter");
        model.Compile(new Sgd(1.0), new SparseCategoricalCrossEntropy());
        head.Kernel.Value.AsSpan()[0] = -40f;
        head.Kernel.Value.AsSpan()[1] = 40f;
        Tensor x = Tensor.FromArray([1f], 1, 1, 1, 1);
        Tensor y = Tensor.FromArray([0f], 1, 1, 1);

        model.TrainOnBatch(x, y);

        // w -= lr * x * (p - onehot): w0 = -40 - (0 - 1) = -39, w1 = 40 - (1 - 0) = 39.
        Assert.Equal(-39f, head.Kernel.Value.AsReadOnlySpan()[0], 1e-4f);
        Assert.Equal(39f, head.Kernel.Value.AsReadOnlySpan()[1], 1e-4f);
    }
}
