using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// A U-Net-like segmentation model (Conv2D and SeparableConv2D down, Conv2DTranspose and UpSampling2D up, Add and
/// Concatenate skips, a per-pixel softmax) exported by ExportOnnx imports back, predicts as the original and trains.
/// </summary>
public sealed class ImportUNetTests
{
    private static Functional UNet(Interpolation upSampling)
    {
        var image = new Input(new TensorShape(16, 12, 3), name: "image");
        SymbolicTensor c1 = new Conv2D(8, 3, padding: Padding.Same, activation: ActivationFunction.Relu).Call(image);
        SymbolicTensor d1 = new SeparableConv2D(8, 3, strides: 2, padding: Padding.Same, activation: ActivationFunction.Relu).Call(c1);
        SymbolicTensor c2 = new Conv2D(16, 3, padding: Padding.Same, activation: ActivationFunction.Relu).Call(new MaxPooling2D(2).Call(d1));
        SymbolicTensor u1 = new Conv2DTranspose(8, 3, strides: 2, padding: Padding.Same).Call(c2);
        SymbolicTensor u2 = new UpSampling2D(2, upSampling).Call(new Add().Call(u1, d1));
        SymbolicTensor joined = new Concatenate().Call(u2, c1);
        SymbolicTensor classes = new Conv2D(4, 1, activation: ActivationFunction.Softmax).Call(joined);
        return new Functional([image], [classes], seed: 5).Randomized();
    }

    [Fact]
    public void ExportedUNet_ImportedBack_PredictsTheSame_AndTrains()
    {
        Functional original = UNet(Interpolation.Nearest);
        byte[] onnx = original.ToOnnxBytes();
        Functional imported = ImportChecks.Import(onnx);
        Tensor images = Tensor.RandomNormal(new TensorShape(3, 16, 12, 3), 8);

        Assert.Equal(original.Inputs[0].Shape, imported.Inputs[0].Shape);
        Tensor expected = original.PredictOutputs([images])[0], actual = imported.PredictOutputs([images])[0];
        Assert.Equal(expected.Shape, actual.Shape);
        ImportChecks.AssertClose(expected.AsReadOnlySpan(), actual.AsReadOnlySpan());

        // The file itself, run by ONNX Runtime (an ExportOnnx file is channels last at its input and output), gives the import's predictions too.
        (float[] Values, int[] Dimensions) runtime = Assert.Single(OnnxGraphs.Run(onnx, "image", images.AsReadOnlySpan().ToArray(), [3, 16, 12, 3]));
        Assert.Equal(actual.Shape.Dimensions.ToArray(), runtime.Dimensions);
        ImportChecks.AssertClose(runtime.Values, actual.AsReadOnlySpan());
        Conv2DTranspose up = Assert.Single(imported.Layers.OfType<Conv2DTranspose>());
        Assert.Equal((Padding.Same, (2, 2)), (up.Padding, up.Strides));
        // The exporter's Gather of rows, then of columns: an UpSampling2D each.
        Assert.Equal([(2, 1), (1, 2)], imported.Layers.OfType<UpSampling2D>().Select(u => u.Size));
        Assert.Empty(imported.Layers.OfType<Cropping2D>());

        // One step on per-pixel labels changes the transposed convolution's kernel, with a finite loss.
        float[] before = up.Kernel.Value.AsReadOnlySpan().ToArray();
        Tensor labels = Tensor.FromArray([.. Enumerable.Range(0, 3 * 16 * 12).Select(i => (float)(i % 4))], 3, 16, 12);
        imported.Compile(new Adam(0.01f), new SparseCategoricalCrossEntropy());
        History history = imported.Fit(images, labels, epochs: 1, batchSize: 3, verbose: 0, seed: 1);
        Assert.True(double.IsFinite(history["loss"][0]), $"loss {history["loss"][0]}");
        Assert.False(before.AsSpan().SequenceEqual(up.Kernel.Value.AsReadOnlySpan()));
    }

    [Fact]
    public void ExportedUNetWithBilinearUpSampling_ImportedBack_PredictsTheSame()
    {
        // Bilinear UpSampling2D exports as two Gathers (the rows below and above each half-pixel sample) blended by Mul and
        // Add, per axis; each chain imports as one bilinear UpSampling2D of that axis' factor (before session 41: refused).
        Functional original = UNet(Interpolation.Bilinear);
        byte[] onnx = original.ToOnnxBytes();
        Functional imported = ImportChecks.Import(onnx);
        Tensor images = Tensor.RandomNormal(new TensorShape(3, 16, 12, 3), 9);

        Tensor expected = original.PredictOutputs([images])[0], actual = imported.PredictOutputs([images])[0];
        Assert.Equal(expected.Shape, actual.Shape);
        ImportChecks.AssertClose(expected.AsReadOnlySpan(), actual.AsReadOnlySpan());
        (float[] Values, int[] Dimensions) runtime = Assert.Single(OnnxGraphs.Run(onnx, "image", images.AsReadOnlySpan().ToArray(), [3, 16, 12, 3]));
        ImportChecks.AssertClose(runtime.Values, actual.AsReadOnlySpan());
        Assert.Equal([((2, 1), Interpolation.Bilinear), ((1, 2), Interpolation.Bilinear)], imported.Layers.OfType<UpSampling2D>().Select(u => (u.Size, u.Interpolation)));
    }

    [Fact]
    public void ExportedBilinearResizingByAFractionalFactor_IsRefused_NamingTheGather()
    {
        // Resizing 4 -> 6 rows is the same Gather, Mul and Add chain, but its table is not a whole factor's: the nodes import
        // one by one and the first Gather is refused, as before.
        var image = new Input(new TensorShape(4, 4, 2), name: "image");
        var model = new Functional([image], [new Resizing(6, 4).Call(new Conv2D(2, 1).Call(image))], seed: 3);
        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(model.ToOnnxBytes()));

        Assert.Contains("(Gather): input 1 (indices) 'resizing/rows_lower' holds 6 indices along axis 2 of length 4, not a whole multiple k · 4", error.Message, StringComparison.Ordinal);
        Assert.Contains("NeuralNet.Onnx imports Gather of a computed tensor only as UpSampling2D's nearest repeat", error.Message, StringComparison.Ordinal);
    }
}
