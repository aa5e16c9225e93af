using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>MixUp's and CutMix's <c>MixBatch</c>: the images of a training call and the labels mixed with its draws (Keras' labels entry).</summary>
public class BatchMixingLabelsTests
{
    private const int Batch = 6, Classes = 4;

    [Fact]
    public void MixUp_labels_take_each_images_weight_and_partner()
    {
        var layer = new MixUp(alpha: 1.0, seed: 3);
        (Tensor images, Tensor labels) = (Images(), OneHot());

        (Tensor mixed, Tensor mixedLabels) = layer.MixBatch(images, labels);

        double[] draws = layer.LastDraws.ToArray();
        AssertLabels(labels, mixedLabels, i => ((int)draws[i * 2], (float)draws[(i * 2) + 1]));
        Assert.Equal(Expected(new MixUp(alpha: 1.0, seed: 3), images), mixed.ToArray());
        Assert.Contains(Enumerable.Range(0, Batch), i => (int)draws[i * 2] != i);
    }

    [Fact]
    public void CutMix_labels_take_the_share_left_outside_each_box()
    {
        var layer = new CutMix(factor: 1.0, seed: 5);
        (Tensor images, Tensor labels) = (Images(), OneHot());

        (Tensor mixed, Tensor mixedLabels) = layer.MixBatch(images, labels);

        double[] draws = layer.LastDraws.ToArray();
        AssertLabels(labels, mixedLabels, i => ((int)draws[i * 7], (float)draws[(i * 7) + 6]));
        Assert.Equal(Expected(new CutMix(factor: 1.0, seed: 5), images), mixed.ToArray());
        Assert.All(Enumerable.Range(0, Batch), i => Assert.InRange(draws[(i * 7) + 6], 0.0, 1.0));
        Assert.Contains(Enumerable.Range(0, Batch), i => draws[(i * 7) + 6] is > 0 and < 1);
    }

    [Fact]
    public void Bad_labels_are_refused_before_anything_is_drawn()
    {
        var layer = new MixUp(seed: 9);
        var ex = Assert.Throws<ArgumentException>(() => layer.MixBatch(Images(), new Tensor(new TensorShape(Batch - 1, Classes))));
        Assert.Equal("labels", ex.ParamName);
        Assert.Contains($"({Batch - 1}, {Classes})", ex.Message, StringComparison.Ordinal);
        Assert.Equal("images", Assert.Throws<ArgumentException>(() => layer.MixBatch(new Tensor(new TensorShape(Batch, 12)), OneHot())).ParamName);
        Assert.Contains("one-hot encode", Assert.Throws<ArgumentException>(() => layer.MixBatch(Images(), new Tensor(new TensorShape(Batch)))).Message, StringComparison.Ordinal);

        // The generator did not move: the next batch is mixed as a fresh layer's first.
        (Tensor mixed, _) = layer.MixBatch(Images(), OneHot());
        Assert.Equal(new MixUp(seed: 9).MixBatch(Images(), OneHot()).Images.ToArray(), mixed.ToArray());
        Assert.Equal("images", Assert.Throws<ArgumentException>(() => layer.MixBatch(Tensor.RandomNormal(new TensorShape(Batch, 2, 2, 1), 1), OneHot())).ParamName);
    }

    [Fact]
    public void A_data_source_that_mixes_its_batches_trains_a_model()
    {
        var mixUp = new MixUp(alpha: 0.4, seed: 1);
        Tensor x = Images(), y = OneHot();
        var seen = new List<Tensor>();
        DataSource source = DataSource.FromBatches(Enumerable.Range(0, 3).Select(_ =>
        {
            (Tensor images, Tensor labels) = mixUp.MixBatch(x, y);
            seen.Add(labels);
            return new DataBatch(images, labels);
        }));
        var model = new Sequential([new InputLayer(3, 3, 1), new Flatten(), new Dense(Classes, NeuralNet.Activations.ActivationFunction.Softmax)], seed: 2);
        model.Compile("adam", "categorical_crossentropy");

        History history = model.Fit(source, epochs: 2, verbose: 0);

        Assert.All(history["loss"], loss => Assert.True(double.IsFinite(loss) && loss > 0));

        // The model was given soft targets: some rows are no longer one-hot.
        Assert.Equal(6, seen.Count);
        Assert.Contains(seen.SelectMany(labels => labels.ToArray()), value => value is > 0.01f and < 0.99f);
    }

    // What a training call of a fresh layer gives for the batch.
    private static float[] Expected(Layer layer, Tensor images)
    {
        layer.Build(images.Shape.DropFirst());
        return layer.Forward(images, training: true).ToArray();
    }

    private static void AssertLabels(Tensor labels, Tensor mixed, Func<int, (int Partner, float Weight)> draw)
    {
        float[] y = labels.ToArray(), actual = mixed.ToArray();
        for (int i = 0; i < Batch; i++)
        {
            (int partner, float weight) = draw(i);
            for (int k = 0; k < Classes; k++)
            {
                float expected = (weight * y[(i * Classes) + k]) + ((1f - weight) * y[(partner * Classes) + k]);
                Assert.Equal(expected, actual[(i * Classes) + k]);
            }

            Assert.Equal(1f, actual.AsSpan(i * Classes, Classes).ToArray().Sum(), 5);
        }
    }

    private static Tensor Images() => Tensor.FromArray([.. Enumerable.Range(0, Batch * 9).Select(i => (float)i)], Batch, 3, 3, 1);

    private static Tensor OneHot()
    {
        var labels = new Tensor(new TensorShape(Batch, Classes));
        for (int i = 0; i < Batch; i++)
        {
            labels.AsSpan()[(i * Classes) + (i % Classes)] = 1f;
        }

        return labels;
    }
}
