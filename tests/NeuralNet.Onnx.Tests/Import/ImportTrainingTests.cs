using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>An imported model is a NeuralNet model like any other: it trains, and saves and loads in NeuralNet's format.</summary>
public sealed class ImportTrainingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("neuralnet-onnx-import-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ImportedConvNet_FitStep_ChangesWeights_AndSavesAndLoads()
    {
        Functional model = ImportChecks.Import(TorchStyleGraphs.ConvNet());
        IReadOnlyList<Tensor> before = model.GetWeights();
        Tensor images = Tensor.RandomNormal(new TensorShape(8, 8, 8, 3), 3);
        Tensor labels = Tensor.FromArray([.. Enumerable.Range(0, 8).Select(i => (float)(i % 5))], 8);

        model.Compile(new Adam(0.01f), new SparseCategoricalCrossEntropy());
        History history = model.Fit(images, labels, epochs: 1, batchSize: 8, verbose: 0, seed: 1);

        Assert.True(double.IsFinite(history["loss"][0]), $"loss {history["loss"][0]}");
        IReadOnlyList<Tensor> after = model.GetWeights();
        Assert.Contains(Enumerable.Range(0, before.Count), i => !before[i].AsReadOnlySpan().SequenceEqual(after[i].AsReadOnlySpan()));

        string path = Path.Combine(_folder, "imported.safetensors");
        model.Save(path);
        Functional loaded = Functional.Load(path);
        Assert.Equal(model.PredictOutputs([images])[0].AsReadOnlySpan().ToArray(), loaded.PredictOutputs([images])[0].AsReadOnlySpan().ToArray());
    }

    [Theory]
    [InlineData("conv1d", 3, 9)]
    [InlineData("resize_bilinear", 4, 5)]
    [InlineData("conv_transpose3d", 5, 3)]
    public void ImportedSession41Forms_FitStep_ChangesWeights(string variant, int rank, int length)
    {
        // A 1-D Conv (Conv1D between Permutes), a Resize (UpSampling2D after a Conv2D) and a 3-D ConvTranspose train
        // through the layers they import as: one step gives a finite loss and changes the convolution's weights.
        var g = new OnnxGraphs(48);
        long[] dims = [-1, 2, .. Enumerable.Repeat((long)length, rank - 2)];
        string x = g.Input("x", dims);
        string y = variant switch
        {
            "conv1d" => g.Node("Conv", [x, g.Weight([3, 2, 3]), g.Weight([3])], Ints("pads", 1, 1)),
            "resize_bilinear" => g.Node("Resize", [g.Node("Conv", [x, g.Weight([3, 2, 1, 1])]), "", g.Floats([4], 1, 1, 2, 2)],
                String("coordinate_transformation_mode", "pytorch_half_pixel"), String("mode", "linear")),
            _ => g.Node("ConvTranspose", [x, g.Weight([2, 3, 2, 2, 2]), g.Weight([3])], Ints("strides", 2, 2, 2)),
        };
        g.Output(y);
        Functional model = ImportChecks.Import(g.ToBytes());
        IReadOnlyList<Tensor> before = model.GetWeights();
        Tensor inputs = Tensor.RandomNormal(new TensorShape([4, .. model.Inputs[0].Shape.Dimensions]), 5);
        Tensor targets = Tensor.RandomNormal(new TensorShape([4, .. model.Outputs[0].Shape.Dimensions]), 6);

        model.Compile(new Adam(0.01f), new MeanSquaredError());
        History history = model.Fit(inputs, targets, epochs: 1, batchSize: 4, verbose: 0, seed: 1);

        Assert.True(double.IsFinite(history["loss"][0]), $"loss {history["loss"][0]}");
        IReadOnlyList<Tensor> after = model.GetWeights();
        Assert.All(Enumerable.Range(0, before.Count), i => Assert.False(before[i].AsReadOnlySpan().SequenceEqual(after[i].AsReadOnlySpan()), $"weight {i} did not change"));
    }
}
