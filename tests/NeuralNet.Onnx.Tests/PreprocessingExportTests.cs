using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;
using Xunit;

namespace NeuralNet.Onnx.Tests;

/// <summary>What the preprocessing and augmentation layers become in the file, beside the per-layer cases of <see cref="ExportCases"/>.</summary>
public sealed class PreprocessingExportTests
{
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

    private static float Scalar(GraphProto graph, string name)
    {
        TensorProto tensor = graph.Initializer.Single(i => i.Name == name);
        Assert.Empty(tensor.Dims);
        return BitConverter.ToSingle(tensor.RawData.Span);
    }
}
