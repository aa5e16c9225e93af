using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Models;

// Evaluate and Predict run a batch larger than the training batch (and than 128 rows) in passes, so the layers keep
// buffers of the training batch only; every row gets the bits one pass over the whole batch gives it.
public class InferencePassesTests
{
    [Fact]
    public void Predict_and_Evaluate_of_a_large_batch_equal_one_pass_over_it_bit_for_bit()
    {
        Sequential model = Cnn();
        (Tensor x, Tensor y) = Images(300, seed: 1);
        model.Fit(x.Slice(0, 32), y.Slice(0, 32), epochs: 1, batchSize: 16, verbose: 0);

        Tensor whole = model.Forward(x, training: false)[0].Clone();
        Tensor predicted = model.Predict(x, batchSize: 300);
        IReadOnlyDictionary<string, double> logs = model.Evaluate(x, y, batchSize: 300, verbose: 0);

        Assert.Equal(whole.ToArray(), predicted.ToArray());
        Assert.Equal((double)new CategoricalCrossEntropy().Compute(whole, y), logs["loss"]);
        Assert.Equal(AccuracyOf(whole, y), logs["accuracy"]);
    }

    [Fact]
    public void Evaluate_of_a_large_batch_does_not_make_the_layers_keep_buffers_of_its_size()
    {
        Sequential model = Cnn();
        (Tensor x, Tensor y) = Images(1000, seed: 2);
        model.Fit(x.Slice(0, 32), y.Slice(0, 32), epochs: 1, batchSize: 16, verbose: 0);
        model.Evaluate(x.Slice(0, 200), y.Slice(0, 200), batchSize: 200, verbose: 0);

        long before = GC.GetAllocatedBytesForCurrentThread();
        model.Evaluate(x, y, batchSize: 1000, verbose: 0);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // One pass over 1000 rows would allocate the first convolution's output alone: 1000 x 26 x 26 x 8 floats, 21.6 MB.
        // In passes, Evaluate gathers the batch (3.1 MB) and the whole batch's output (40 KB).
        Assert.True(allocated < 6_000_000, $"Evaluate at batch 1000 allocated {allocated} bytes");
    }

    [Fact]
    public void A_masked_sequence_output_is_evaluated_in_passes_as_in_one_pass()
    {
        // Trained at batch 300, the model evaluates 300 rows in one pass; loaded from its file it has not trained, so it
        // runs them in passes of 128, masks included.
        var tokens = new Input(6);
        SymbolicTensor steps = new Lstm(4, returnSequences: true).Call(new Embedding(12, 5, maskZero: true).Call(tokens));
        var model = new Functional(tokens, new Dense(2, ActivationFunction.Softmax).Call(steps), seed: 5);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), new Accuracy());
        var ids = new float[300 * 6];
        var labels = new int[300 * 6];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = i % 6 >= 2 + (i / 6 % 4) ? 0 : 1 + (i * 7 % 11);
            labels[i] = i * 5 % 3 == 0 ? 1 : 0;
        }

        Tensor x = Tensor.FromArray(ids, 300, 6);
        Tensor y = LabeledDataset.OneHot(labels, 2).Reshape(300, 6, 2);
        model.Fit(x, y, epochs: 1, batchSize: 300, verbose: 0);
        IReadOnlyDictionary<string, double> onePass = model.Evaluate(x, y, batchSize: 300, verbose: 0);
        string path = Path.Combine(Path.GetTempPath(), $"passes-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);

            IReadOnlyDictionary<string, double> inPasses = loaded.Evaluate(x, y, batchSize: 300, verbose: 0);

            Assert.Equal(onePass["loss"], inPasses["loss"]);
            Assert.Equal(onePass["accuracy"], inPasses["accuracy"]);
            Assert.Equal(model.Forward(x, training: false)[0].ToArray(), loaded.Predict(x, batchSize: 300).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Backward_after_an_Evaluate_run_in_passes_says_so_and_works_again_after_Forward()
    {
        Sequential model = Cnn();
        (Tensor x, Tensor y) = Images(300, seed: 3);
        model.Fit(x.Slice(0, 32), y.Slice(0, 32), epochs: 1, batchSize: 16, verbose: 0);
        model.Evaluate(x, y, batchSize: 300, verbose: 0);

        var error = Assert.Throws<InvalidOperationException>(() => model.Backward(new Tensor(300, 10)));

        Assert.Contains("inference batch of 300 rows run in passes of 128", error.Message, StringComparison.Ordinal);
        model.Forward(x, training: false);
        model.Backward(new Tensor(300, 10));
    }

    private static double AccuracyOf(Tensor probabilities, Tensor targets)
    {
        int rows = probabilities.Shape[0], classes = probabilities.Shape[1], right = 0;
        ReadOnlySpan<float> p = probabilities.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        for (int r = 0; r < rows; r++)
        {
            right += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p.Slice(r * classes, classes)) == System.Numerics.Tensors.TensorPrimitives.IndexOfMax(t.Slice(r * classes, classes)) ? 1 : 0;
        }

        return (double)right / rows;
    }

    private static Sequential Cnn()
    {
        var model = new Sequential(
        [
            new InputLayer(28, 28, 1),
            new Conv2D(8, 3, activation: ActivationFunction.Relu),
            new MaxPooling2D(),
            new Conv2D(16, 3, activation: ActivationFunction.Relu),
            new BatchNormalization(),
            new MaxPooling2D(),
            new Flatten(),
            new Dropout(0.5),
            new Dense(10, ActivationFunction.Softmax),
        ], seed: 9);
        model.Compile(new Adam(0.001f), new CategoricalCrossEntropy(), new Accuracy());
        return model;
    }

    private static (Tensor X, Tensor Y) Images(int samples, long seed)
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(samples, 28, 28, 1), seed);
        int[] labels = [.. Enumerable.Range(0, samples).Select(i => (int)((i * 7919L + seed) % 10))];
        return (x, LabeledDataset.OneHot(labels, 10));
    }
}
