using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Models;

/// <summary>
/// A Keras user's <c>Input(shape=(64,), name="state_h")</c> is <c>new Input(64, name: "state_h")</c>; the overloads that take
/// a name leave the calls without one (<c>new Input(28, 28)</c>, <c>new Input([null, 6])</c>) as they were.
/// </summary>
public class InputOverloadTests
{
    [Fact]
    public void Constructor_OneTwoOrThreeLengthsWithAName_GivesThatShapeAndName()
    {
        var state = new Input(64, name: "state_h");
        var sequence = new Input(5, 3, name: "sequence");
        var image = new Input(28, 28, 1, name: "image");
        var positional = new Input(7, "positional");

        Assert.Equal(new TensorShape(64), state.Shape);
        Assert.Equal("state_h", state.Layer.Name);
        Assert.Equal(new TensorShape(5, 3), sequence.Shape);
        Assert.Equal("sequence", sequence.Layer.Name);
        Assert.Equal(new TensorShape(28, 28, 1), image.Shape);
        Assert.Equal("image", image.Layer.Name);
        Assert.Equal(new TensorShape(7), positional.Shape);
        Assert.Equal("positional", positional.Layer.Name);
        Assert.Empty(state.VariableAxes);
    }

    [Fact]
    public void Constructor_CallsWithoutAName_KeepTheirShapes()
    {
        var one = new Input(64);
        var two = new Input(28, 28);
        var three = new Input(28, 28, 1);
        var four = new Input(2, 3, 4, 5);
        var variable = new Input([null, 6]);
        var nullName = new Input(64, name: null);

        Assert.Equal(new TensorShape(64), one.Shape);
        Assert.Equal(new TensorShape(28, 28), two.Shape);
        Assert.Equal(new TensorShape(28, 28, 1), three.Shape);
        Assert.Equal(new TensorShape(2, 3, 4, 5), four.Shape);
        Assert.Equal([0], variable.VariableAxes);
        Assert.Equal(new TensorShape(64), nullName.Shape);

        // Unnamed inputs are named by the model, as before.
        var model = new Functional(two, new Dense(2).Call(new Flatten().Call(two)));
        Assert.StartsWith("input_layer", model.InputNames[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_LengthBelowOne_ThrowsNamingTheShape()
    {
        var e = Assert.Throws<ArgumentException>(() => new Input(0, name: "empty"));
        Assert.Contains("every dimension positive, but got (0,)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Input(4, 0, name: "rows"));
        Assert.Throws<ArgumentException>(() => new Input(4, 4, -1, name: "image"));
    }
}
