using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;
using NeuralNet.Optimizers;
using Xunit;
using Xunit.Abstractions;

namespace NeuralNet.Onnx.Tests;

/// <summary>What the preprocessing and augmentation layers become in the file, beside the per-layer cases of <see cref="ExportCases"/>.</summary>
public sealed class PreprocessingExportTests(ITestOutputHelper output)
{
    // Keras' image-classification tutorial CNN (Rescaling, then RandomFlip, RandomRotation and RandomZoom, then
    // convolutions), with a BatchNormalization, on 32x32 RGB images of 5 classes.
    private static Sequential TutorialCnn()
    {
        var model = new Sequential(name: "flowers", seed: 7);
        model.Add(new InputLayer(new TensorShape(32, 32, 3), name: "image"));
        model.Add(new Rescaling(1f / 255));
        model.Add(new RandomFlip(FlipMode.Horizontal));
        model.Add(new RandomRotation(0.1));
        model.Add(new RandomZoom(0.1));
        model.Add(new Conv2D(16, 3, padding: Padding.Same, activation: ActivationFunction.Relu));
        model.Add(new BatchNormalization());
        model.Add(new MaxPooling2D(2));
        model.Add(new Conv2D(32, 3, padding: Padding.Same, activation: ActivationFunction.Relu));
        model.Add(new MaxPooling2D(2));
        model.Add(new Dropout(0.2));
        model.Add(new Flatten());
        model.Add(new Dense(32, ActivationFunction.Relu));
        model.Add(new Dense(5, name: "logits"));
        return model;
    }

    [Fact]
    public void The_tutorial_cnn_trained_an_epoch_matches_predict_in_onnx_runtime()
    {
        Sequential model = TutorialCnn();
        model.Compile(new Adam(), new SparseCategoricalCrossEntropy(fromLogits: true));
        model.Fit(Pixels(48, seed: 1), Tensor.FromArray([.. Enumerable.Range(0, 48).Select(i => (float)(i % 5))], 48), epochs: 1, batchSize: 16, verbose: 0, seed: 3);

        byte[] onnx = model.ToOnnxBytes();
        Tensor images = Pixels(16, seed: 2);
        Tensor expected = model.Predict(images);
        (float[] actual, int[] dimensions) = OnnxRoundTrip.RunOnnx(onnx, model, [images])["logits"];

        Assert.Equal([16, 5], dimensions);
        float largest = MaxAbsDifference(expected.AsReadOnlySpan(), actual);
        output.WriteLine($"Tutorial CNN, 16 images: max |ONNX Runtime - Predict| = {largest:g3} (largest logit {MaxAbs(expected.AsReadOnlySpan()):g3})");
        Assert.True(largest <= 1e-5f, $"ONNX Runtime differs from Predict by {largest:g3}.");

        // The augmentation layers are the identity at inference: they leave no node in the inference graph.
        GraphProto graph = ModelProto.Parser.ParseFrom(onnx).Graph;
        Assert.DoesNotContain(graph.Node, n => n.Name.StartsWith("random_", StringComparison.Ordinal));
        Assert.Equal(["Mul", "Transpose", "Conv", "Relu"], graph.Node.Take(4).Select(n => n.OpType));
    }

    [Fact]
    public void Rescaling_is_one_mul_and_an_add_only_with_an_offset()
    {
        GraphProto plain = Graph(new Rescaling(1f / 255, name: "scale"));
        Assert.Equal(["Mul"], plain.Node.Select(n => n.OpType));
        Assert.Equal(1f / 255, Scalar(plain, "scale/scale"));

        GraphProto shifted = Graph(new Rescaling(1f / 127.5f, -1f, name: "scale"));
        Assert.Equal(["Mul", "Add"], shifted.Node.Select(n => n.OpType));
        Assert.Equal(1f / 127.5f, Scalar(shifted, "scale/scale"));
        Assert.Equal(-1f, Scalar(shifted, "scale/offset"));
        Assert.Equal("scale", shifted.Node[^1].Output.Single());
    }

    // A model of one layer on (6, 5, 3) images; the graph of its ONNX file.
    private static GraphProto Graph(Layer layer)
    {
        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(6, 5, 3));
        model.Add(layer);
        return ModelProto.Parser.ParseFrom(model.ToOnnxBytes()).Graph;
    }

    // Whole-number pixels in [0, 255], as images are read.
    private static Tensor Pixels(int count, long seed) =>
        Tensor.FromArray([.. Tensor.RandomUniform(new TensorShape(count, 32, 32, 3), seed, 0, 256).AsReadOnlySpan().ToArray().Select(MathF.Floor)], count, 32, 32, 3);

    private static float MaxAbsDifference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float largest = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(actual[i] - expected[i]));
        }

        return largest;
    }

    private static float MaxAbs(ReadOnlySpan<float> values)
    {
        float largest = 0;
        foreach (float v in values)
        {
            largest = Math.Max(largest, Math.Abs(v));
        }

        return largest;
    }

    private static float Scalar(GraphProto graph, string name)
    {
        TensorProto tensor = graph.Initializer.Single(i => i.Name == name);
        Assert.Empty(tensor.Dims);
        return BitConverter.ToSingle(tensor.RawData.Span);
    }
}
