using System.Text;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Onnx.Tests;

/// <summary>A LoRA model exports as a plain one: each adapted weight's initializer holds the merged weight.</summary>
public sealed class LoraExportTests
{
    [Fact]
    public void LoraLayers_ExportTheirMergedWeightsAndMatchPredict()
    {
        var ids = new Input(5);
        var embedding = new Embedding(9, 4);
        var heads = new EinsumDense("abc,cde->abde", [null, 2, 3], new Gelu(), "de");
        var dense = new Dense(3, ActivationFunction.Relu);
        var model = new Functional(ids, dense.Call(new Flatten().Call(heads.Call(embedding.Call(ids)))), seed: 3);
        embedding.EnableLora(2, 4f);
        heads.EnableLora(3);
        dense.EnableLora(2, 1f);

        // Random A and B too (B starts at zeros), so each merged weight differs from the frozen one.
        model.Randomized(seed: 21);

        byte[] onnx = OnnxRoundTrip.AssertMatchesPredict(model);
        OnnxRoundTrip.AssertMatchesPredict(model, new OnnxExportOptions { Opset = OnnxExporter.MinimumOpset });
        Assert.DoesNotContain("lora", Encoding.ASCII.GetString(onnx), StringComparison.Ordinal);
    }
}
