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
        model.Fit(Pixels(48, 32, 32, seed: 1), Tensor.FromArray([.. Enumerable.Range(0, 48).Select(i => (float)(i % 5))], 48), epochs: 1, batchSize: 16, verbose: 0, seed: 3);

        byte[] onnx = model.ToOnnxBytes();
        Tensor images = Pixels(16, 32, 32, seed: 2);
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

    [Fact]
    public void Rescaling_per_channel_multiplies_in_the_values_layout_without_a_transpose()
    {
        // Channels last (the model's input): a (3) vector.
        GraphProto images = Graph(new Rescaling([0.5f, 2f, -1.5f], name: "scale"));
        Assert.Equal(["Mul"], images.Node.Select(n => n.OpType));
        Assert.Equal([3L], images.Initializer.Single(i => i.Name == "scale/scale").Dims);

        // After a convolution the value is channels first: a (3, 1, 1) constant, and no Transpose before the Mul.
        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(6, 5, 3));
        model.Add(new Conv2D(3, 3, name: "conv"));
        model.Add(new Rescaling([0.5f, 2f, -1.5f], name: "scale"));
        model.Add(new Conv2D(2, 1, name: "conv2"));
        GraphProto graph = ModelProto.Parser.ParseFrom(model.ToOnnxBytes()).Graph;
        Assert.Equal(["Transpose", "Conv", "Mul", "Conv", "Transpose"], graph.Node.Select(n => n.OpType));
        TensorProto scale = graph.Initializer.Single(i => i.Name == "scale/scale");
        Assert.Equal([3L, 1, 1], scale.Dims);
        Assert.Equal([0.5f, 2f, -1.5f], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(scale.RawData.Span).ToArray());
    }

    [Fact]
    public void Crops_are_slices_nearest_resizes_gathers_and_bilinear_resizes_gathers_blended()
    {
        Assert.Equal(["Slice", "Slice"], Graph(new CenterCrop(3, 4)).Node.Select(n => n.OpType));

        // 6 rows to 4 and 5 columns to 7, nearest: source index floor((o + 0.5) * in / out).
        GraphProto nearest = Graph(new Resizing(4, 7, Interpolation.Nearest));
        Assert.Equal(["Gather", "Gather"], nearest.Node.Select(n => n.OpType));
        Assert.Equal([0L, 2, 3, 5], Int64s(nearest, "resizing/rows_lower"));
        Assert.Equal([0L, 1, 1, 2, 3, 3, 4], Int64s(nearest, "resizing/columns_lower"));

        GraphProto bilinear = Graph(new Resizing(4, 7));
        Assert.Equal(["Gather", "Gather", "Mul", "Mul", "Add", "Gather", "Gather", "Mul", "Mul", "Add"], bilinear.Node.Select(n => n.OpType));

        // 6x5 padded to 6x9 (2 columns each side) is the target size: nothing left to resize.
        GraphProto padded = Graph(new Resizing(6, 9, padToAspectRatio: true, fillValue: 0.5));
        Assert.Equal(["Pad"], padded.Node.Select(n => n.OpType));
        Assert.Equal([0L, 0, 2, 0, 0, 0, 2, 0], Int64s(padded, "resizing/pads"));

        // RandomCrop of an image of the target size is the identity at inference.
        Assert.Equal(["Identity"], Graph(new RandomCrop(6, 5)).Node.Select(n => n.OpType));
    }

    [Theory]
    [InlineData(224, 224, 150, 150, Interpolation.Bilinear, false)]
    [InlineData(180, 180, 224, 224, Interpolation.Bilinear, false)]
    [InlineData(300, 200, 224, 224, Interpolation.Bilinear, true)]
    [InlineData(300, 200, 224, 224, Interpolation.Nearest, false)]
    public void Photo_sized_resizes_match_predict(int height, int width, int outHeight, int outWidth, Interpolation interpolation, bool cropToAspectRatio)
    {
        var model = new Sequential(name: "photos", seed: 1);
        model.Add(new InputLayer(new TensorShape(height, width, 3), name: "image"));
        model.Add(new Resizing(outHeight, outWidth, interpolation, cropToAspectRatio, name: "resized"));
        Tensor images = Pixels(2, height, width, seed: 4);
        Tensor expected = model.Predict(images);
        (float[] actual, _) = OnnxRoundTrip.RunOnnx(model.ToOnnxBytes(), model, [images])["resized"];

        float largest = MaxAbsDifference(expected.AsReadOnlySpan(), actual);
        output.WriteLine($"{height}x{width} -> {outHeight}x{outWidth} {interpolation}{(cropToAspectRatio ? " cropped" : "")}, pixels in [0, 255]: max |ONNX Runtime - Predict| = {largest:g3}");
        Assert.True(largest <= 1e-5f * 255, $"ONNX Runtime differs from Predict by {largest:g3}.");
        OnnxRoundTrip.AssertClose(expected.AsReadOnlySpan(), actual, "resized");
    }

    // AutoContrast runs at inference: whole-number pixels (ties at the minimum and maximum), a constant channel (image 1,
    // channel 2: returned as it is), and a channel-first value (after a Conv2D), at the three opsets.
    [Theory]
    [InlineData(0.0, 255.0, false)]
    [InlineData(0.0, 1.0, false)]
    [InlineData(-3.0, 2.0, true)]
    public void Auto_contrast_matches_predict_with_a_constant_channel(double low, double high, bool afterConv)
    {
        var model = new Sequential(name: "contrast", seed: 1);
        model.Add(new InputLayer(new TensorShape(7, 6, 3), name: "image"));
        if (afterConv)
        {
            model.Add(new Conv2D(3, 2, padding: Padding.Same));
        }

        model.Add(new AutoContrast((low, high), name: "stretched"));
        model.Randomized();
        Tensor images = Pixels(3, 7, 6, seed: 6);
        Span<float> x = images.AsSpan();
        for (int p = 0; p < 42; p++)
        {
            x[(42 * 3) + (p * 3) + 2] = 100;
        }

        float[] actual = OnnxRoundTrip.AssertMatchesPredictOn(model, images);
        if (!afterConv)
        {
            for (int p = 0; p < 42; p++)
            {
                Assert.Equal(100f, actual[(42 * 3) + (p * 3) + 2]);
            }
        }

        GraphProto graph = ModelProto.Parser.ParseFrom(model.ToOnnxBytes()).Graph;
        Assert.Equal(["ReduceMin", "ReduceMax", "Clip", "IsNaN", "Where"], graph.Node.Select(n => n.OpType).Where(t => t is "ReduceMin" or "ReduceMax" or "Clip" or "IsNaN" or "Where"));
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
    private static Tensor Pixels(int count, int height, int width, long seed) =>
        Tensor.FromArray([.. Tensor.RandomUniform(new TensorShape(count, height, width, 3), seed, 0, 256).AsReadOnlySpan().ToArray().Select(MathF.Floor)], count, height, width, 3);

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

    private static long[] Int64s(GraphProto graph, string name)
    {
        TensorProto tensor = graph.Initializer.Single(i => i.Name == name);
        return [.. Enumerable.Range(0, tensor.RawData.Length / sizeof(long)).Select(k => BitConverter.ToInt64(tensor.RawData.Span[(k * sizeof(long))..]))];
    }

    private static float Scalar(GraphProto graph, string name)
    {
        TensorProto tensor = graph.Initializer.Single(i => i.Name == name);
        Assert.Empty(tensor.Dims);
        return BitConverter.ToSingle(tensor.RawData.Span);
    }
}
