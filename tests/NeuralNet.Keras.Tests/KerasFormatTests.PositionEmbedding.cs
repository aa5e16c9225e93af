using NeuralNet.Keras;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

public sealed partial class KerasFormatTests
{
    [Fact]
    public void SaveModel_refuses_keras_hub_position_embedding_naming_it_and_writes_nothing()
    {
        var tokens = new Input([null, 4], "tokens");
        SymbolicTensor summed = new Add().Call(tokens, new PositionEmbedding(16, name: "positions").Call(tokens));
        var model = new Functional(tokens, new Dense(2).Call(summed), seed: 1);
        string path = Path.Combine(_folder, "positions.keras");

        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));

        Assert.Contains("Layer 'positions' (PositionEmbedding) is KerasHub's", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }
}
