using NeuralNet.Applications;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Applications;

/// <summary>Checks the application tests share: one training step on a tiny batch, and layer names in order.</summary>
internal static class ApplicationTestSupport
{
    /// <summary>The options of a small classifier: <paramref name="side"/> x <paramref name="side"/> x 3 images, 3 classes.</summary>
    public static ApplicationOptions SmallClassifier(int side) => new() { InputShape = new TensorShape(side, side, 3), Classes = 3, Seed = 5 };

    /// <summary>
    /// One forward and backward pass and one SGD step on a batch of two: the prediction is a probability per class, the
    /// loss is finite, every trainable parameter gets a finite gradient, every kernel a non-zero one, and the step
    /// changes the weights and the batch normalization's moving statistics. A layer for which
    /// <paramref name="mayBeDropped"/> is true may get a zero kernel gradient: drop connect (EfficientNet's residual
    /// <c>drop</c>) can drop a block's whole branch for both images of the batch.
    /// </summary>
    public static void TrainOneStep(Functional model, int side, Func<string, bool>? mayBeDropped = null)
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(2, side, side, 3), seed: 11, 0f, 255f);
        Tensor y = Tensor.FromArray(new float[] { 1, 0, 0, 0, 0, 1 }, 2, 3);
        x = ImageNetPreprocessing.Caffe(x);

        Tensor probabilities = model.Predict(x);
        Assert.Equal(new TensorShape(2, 3), probabilities.Shape);
        for (int row = 0; row < 2; row++)
        {
            float sum = probabilities[row, 0] + probabilities[row, 1] + probabilities[row, 2];
            Assert.InRange(sum, 0.9999f, 1.0001f);
        }

        model.Compile(new Sgd(learningRate: 0.01f), new CategoricalCrossEntropy());
        float loss = model.ComputeGradients(x, y);
        Assert.True(float.IsFinite(loss) && loss > 0f, $"loss {loss}");
        foreach (Layer layer in model.Layers)
        {
            foreach (Parameter p in layer.Parameters.Where(p => p.Trainable))
            {
                float[] g = p.Gradient.ToArray();
                Assert.True(g.All(float.IsFinite), $"{layer.Name}/{p.Name} has a non-finite gradient");
                if (p.Name is "kernel" or "depthwise_kernel" && mayBeDropped?.Invoke(layer.Name) != true)
                {
                    Assert.True(g.Any(v => v != 0f), $"{layer.Name}/{p.Name} has a zero gradient");
                }
            }
        }

        Parameter first = model.Layers.SelectMany(l => l.Parameters).First(p => p.Trainable);
        float[] before = first.Value.ToArray();
        BatchNormalization? norm = model.Layers.OfType<BatchNormalization>().FirstOrDefault();
        float[]? meanBefore = norm?.MovingMean.Value.ToArray();
        model.TrainOnBatch(x, y);
        Assert.NotEqual(before, first.Value.ToArray());
        if (norm is not null)
        {
            Assert.NotEqual(meanBefore, norm.MovingMean.Value.ToArray());
        }
    }

    /// <summary>The model's layer names from <paramref name="first"/> on, <paramref name="count"/> of them.</summary>
    public static string[] Names(Model model, string first, int count)
    {
        List<string> names = [.. model.Layers.Select(l => l.Name)];
        int start = names.IndexOf(first);
        Assert.True(start >= 0, $"no layer '{first}'");
        return [.. names.Skip(start).Take(count)];
    }
}
