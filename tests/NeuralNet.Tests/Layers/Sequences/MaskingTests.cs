using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

/// <summary>Masks as Keras makes and carries them: Embedding(maskZero), Masking, the layers that pass or combine them, and pooling.</summary>
public class MaskingTests
{
    [Fact]
    public void Embedding_with_mask_zero_marks_id_zero_as_padding_and_still_looks_it_up()
    {
        var embedding = new Embedding(5, 2, maskZero: true);
        Tensor ids = Tensor.FromArray([0, 3, 0, 1, 4, 0], 2, 3);

        Tensor output = embedding.Forward(ids, training: false);

        Assert.Equal([0f, 1, 0, 1, 1, 0], embedding.OutputMask!.ToArray());
        Assert.Equal([2, 3], embedding.OutputMask.Shape.Dimensions.ToArray());
        Assert.Equal(embedding.Embeddings.Value.ToArray()[..2], output.ToArray()[..2]);
        Assert.Null(new Embedding(5, 2).Let(e => e.Forward(ids, training: false)).OutputMask);
    }

    [Fact]
    public void Masking_zeroes_and_masks_the_steps_whose_features_all_equal_the_mask_value()
    {
        var masking = new Masking(maskValue: -1f);
        Tensor input = Tensor.FromArray([1, 2, -1, -1, -1, 3, /**/ -1, -1, 0, 0, 5, -1], 2, 3, 2);

        Tensor output = masking.Forward(input, training: false);

        Assert.Equal([1f, 2, 0, 0, -1, 3, 0, 0, 0, 0, 5, -1], output.ToArray());
        Assert.Equal([1f, 0, 1, 0, 1, 1], masking.OutputMask!.ToArray());

        // Keras' output is x·mask: the gradient passes at real steps and is 0 at masked ones (a numerical check would
        // unmask the step it perturbs).
        Tensor upstream = Tensor.RandomNormal(new TensorShape(2, 3, 2), 3);
        float[] dx = masking.Backward(upstream).ToArray(), dy = upstream.ToArray();
        float[] keep = [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1];
        Assert.Equal(dy.Select((g, i) => g * keep[i]).ToArray(), dx);
        GradientChecker.CheckLayer(new Masking(-1f), Tensor.RandomNormal(new TensorShape(2, 3, 2), 4), seed: 3).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Masking_refuses_an_input_without_a_step_axis()
    {
        var error = Assert.Throws<ArgumentException>(() => new Masking(name: "pad").Build(new TensorShape(4)));
        Assert.Contains("Masking 'pad'", error.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 4)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Global_average_pooling_1d_averages_the_unmasked_steps_only()
    {
        var pooling = new GlobalAveragePooling1D();
        Tensor input = Tensor.FromArray([1, 10, 2, 20, 3, 30, /**/ 4, 40, 5, 50, 6, 60], 2, 3, 2);
        Tensor mask = Tensor.FromArray([1, 0, 1, /**/ 0, 1, 0], 2, 3);

        Tensor output = pooling.Forward(input, mask, training: false);

        Assert.Equal([2f, 20, 5, 50], output.ToArray());
        Assert.Null(pooling.OutputMask);
        GradientChecker.CheckLayer(new GlobalAveragePooling1D(), Tensor.RandomNormal(new TensorShape(2, 3, 2), 4), seed: 2, mask: mask).AssertPassed(maxKinkFraction: 0);
        Assert.Equal([2f, 20, 5, 50], pooling.Forward(input, training: false).ToArray());
        Assert.Equal([1.5f, 15, 5, 50], pooling.Forward(input, Tensor.FromArray([1, 1, 0, 1, 1, 1], 2, 3), training: false).ToArray());
    }

    [Fact]
    public void Dense_dropout_and_activation_pass_the_mask_on_and_merges_or_masks_as_keras_3()
    {
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 3, 4), 1);
        Tensor mask = Tensor.FromArray([1, 0, 1, 1, 1, 0], 2, 3);
        Tensor other = Tensor.FromArray([1, 1, 0, 0, 1, 1], 2, 3);
        Layer[] passing = [new Dense(2), new Dropout(0.5), new Activation(NeuralNet.Activations.ActivationFunction.Relu), new LayerNormalization(), new ReLU(), new GaussianNoise(0.1)];
        foreach (Layer layer in passing)
        {
            layer.Forward(input, mask, training: false);
            Assert.Same(mask, layer.OutputMask);
        }

        // Keras 3 (base_merge.py compute_mask): the masks ORed, and no mask when an input has none (Keras 2 ANDed them
        // and passed a lone mask on).
        var add = new Add();
        add.Forward([input, input], [mask, other], training: false);
        Assert.Equal([1f, 1, 1, 1, 1, 1], add.OutputMask!.ToArray());
        add.Forward([input, input], [mask, Tensor.FromArray([0, 0, 0, 0, 0, 1], 2, 3)], training: false);
        Assert.Equal([1f, 0, 1, 1, 1, 1], add.OutputMask!.ToArray());
        add.Forward([input, input], [null, other], training: false);
        Assert.Null(add.OutputMask);

        var flatten = new Flatten();
        flatten.Forward(input, mask, training: false);
        Assert.Null(flatten.OutputMask);
    }

    [Fact]
    public void A_padded_text_model_predicts_the_same_for_pre_and_post_padding_and_saves_mask_zero()
    {
        var model = new Sequential(seed: 9);
        model.Add(new InputLayer(6));
        model.Add(new Embedding(12, 4, maskZero: true));
        model.Add(new Lstm(5, returnSequences: true));
        model.Add(new Gru(3));
        model.Add(new Dense(2));
        model.Compile(new Adam(), new MeanSquaredError());
        Tensor pre = Tensor.FromArray([0, 0, 0, 3, 7, 2, /**/ 0, 0, 5, 5, 1, 9], 2, 6);
        Tensor post = Tensor.FromArray([3, 7, 2, 0, 0, 0, /**/ 5, 5, 1, 9, 0, 0], 2, 6);

        float[] fromPre = model.Predict(pre).ToArray();
        float[] fromPost = model.Predict(post).ToArray();

        for (int i = 0; i < fromPre.Length; i++)
        {
            Assert.True(Math.Abs(fromPre[i] - fromPost[i]) <= 1e-6, $"output {i}: pre-padded {fromPre[i]}, post-padded {fromPost[i]}.");
        }

        string path = Path.Combine(Path.GetTempPath(), $"masking-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Assert.True(((Embedding)loaded.Layers.First(l => l is Embedding)).MaskZero);
            Assert.Equal(fromPost, loaded.Predict(post).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Training_a_masked_model_does_not_look_at_padding()
    {
        var model = new Sequential(seed: 4);
        model.Add(new InputLayer(5));
        model.Add(new Embedding(8, 3, maskZero: true));
        model.Add(new SimpleRnn(2));
        model.Add(new Dense(1));
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        Tensor x = Tensor.FromArray([4, 2, 0, 0, 0, /**/ 1, 0, 0, 0, 0], 2, 5);
        Tensor y = Tensor.FromArray([1, -1], 2, 1);
        var embedding = (Embedding)model.Layers.First(l => l is Embedding);
        model.Predict(x);
        float[] zeroRowBefore = embedding.Embeddings.Value.ToArray()[..3];

        model.Fit(x, y, epochs: 3, batchSize: 2, verbose: 0);

        // Id 0 only ever sits at masked steps, so its vector receives no gradient and stays as it was.
        Assert.Equal(zeroRowBefore, embedding.Embeddings.Value.ToArray()[..3]);
    }
}

internal static class LetExtension
{
    public static T Let<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}

/// <summary>Keras applies an output's mask to the loss and the metrics: Σ mask·loss / Σ mask.</summary>
public class MaskedLossTests
{
    [Fact]
    public void The_loss_of_a_masked_sequence_output_is_the_mean_over_real_steps()
    {
        Sequential model = Labeller(out Tensor x, out Tensor y);
        float[] p = model.Predict(x).ToArray();
        float[] ids = x.ToArray(), labels = y.ToArray();
        double sum = 0, count = 0, correct = 0;
        for (int r = 0; r < ids.Length; r++)
        {
            if (ids[r] != 0)
            {
                int label = (int)labels[r];
                sum -= Math.Log(p[(r * 3) + label]);
                count++;
                int best = p[r * 3] >= p[(r * 3) + 1] ? (p[r * 3] >= p[(r * 3) + 2] ? 0 : 2) : (p[(r * 3) + 1] >= p[(r * 3) + 2] ? 1 : 2);
                correct += best == label ? 1 : 0;
            }
        }

        IReadOnlyDictionary<string, double> logs = model.Evaluate(x, y, verbose: 0);

        Assert.Equal(sum / count, logs["loss"], 1e-5);
        Assert.Equal(correct / count, logs["accuracy"], 1e-6);
    }

    [Fact]
    public void Training_a_masked_sequence_output_matches_numerical_gradients_of_the_masked_loss()
    {
        Sequential model = Labeller(out Tensor x, out Tensor y);
        foreach (Parameter p in model.Parameters)
        {
            p.ZeroGradient();
        }

        model.ComputeGradients(x, y);
        float[] ids = x.ToArray(), labels = y.ToArray();

        double MaskedLoss()
        {
            float[] p = model.Predict(x).ToArray();
            double sum = 0, count = 0;
            for (int r = 0; r < ids.Length; r++)
            {
                if (ids[r] != 0)
                {
                    sum -= Math.Log(p[(r * 3) + (int)labels[r]]);
                    count++;
                }
            }

            return sum / count;
        }

        var report = new GradientCheckReport();
        for (int i = 0; i < model.Parameters.Count; i++)
        {
            Parameter parameter = model.Parameters[i];
            GradientChecker.CheckTensor(report, parameter.Name, parameter.Value, parameter.Gradient.ToArray(), MaskedLoss, GradientCheckOptions.Default, 40 + i);
        }

        report.AssertPassed(maxKinkFraction: 0);
    }

    private static Sequential Labeller(out Tensor x, out Tensor y)
    {
        var model = new Sequential(seed: 12);
        model.Add(new InputLayer(5));
        model.Add(new Embedding(7, 3, maskZero: true));
        model.Add(new Gru(4, returnSequences: true));
        model.Add(new TimeDistributed(new Dense(3, NeuralNet.Activations.ActivationFunction.Softmax)));
        model.Compile(new Adam(), new SparseCategoricalCrossEntropy(), new NeuralNet.Training.Accuracy());
        x = Tensor.FromArray([3, 1, 4, 0, 0, /**/ 0, 0, 5, 2, 6, /**/ 1, 1, 1, 1, 1], 3, 5);
        y = Tensor.FromArray([0, 1, 2, 0, 2, /**/ 1, 1, 0, 2, 1, /**/ 2, 0, 1, 1, 0], 3, 5);
        return model;
    }
}
