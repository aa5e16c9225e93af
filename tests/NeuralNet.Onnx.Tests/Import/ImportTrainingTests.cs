using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

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
}
