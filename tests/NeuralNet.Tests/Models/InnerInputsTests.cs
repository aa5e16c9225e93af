using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Models;

// A functional model whose input is an inner tensor of another model (Keras 3's Model(last_conv.output, model.output),
// keras/src/models/functional.py clone_graph_nodes): Grad-CAM's head model.
public class InnerInputsTests
{
    private static (Functional Model, Conv2D LastConv, GlobalAveragePooling2D Pool, Dense Classifier) SmallCnn()
    {
        var image = new Input(new TensorShape(7, 7, 1), name: "image");
        SymbolicTensor x = new Conv2D(3, 3, activation: ActivationFunction.Relu).Call(image);
        var lastConv = new Conv2D(4, 3, activation: ActivationFunction.Tanh, name: "last_conv");
        var pool = new GlobalAveragePooling2D();
        var classifier = new Dense(3, ActivationFunction.Softmax, name: "predictions");
        SymbolicTensor probabilities = classifier.Call(pool.Call(lastConv.Call(x)));
        return (new Functional(image, probabilities, name: "cnn", seed: 7), lastConv, pool, classifier);
    }

    [Fact]
    public void GradCam_HeadModelFromTheConvOutput_GradientMatchesCentralDifferencesThroughTheFullModelsLayers()
    {
        (Functional model, Conv2D lastConv, GlobalAveragePooling2D pool, Dense classifier) = SmallCnn();
        var convModel = new Functional(model.Inputs[0], lastConv.Output, name: "conv");
        var head = new Functional(lastConv.Output, model.Outputs, name: "head");
        Tensor images = Tensor.RandomUniform(new TensorShape(2, 7, 7, 1), 3, -1f, 1f);

        // Keras' clone: a new Input named after the tensor, the same layer objects after it.
        Assert.Equal("last_convCLONE", head.Layers[0].Name);
        Assert.Same(pool, head.Layers[1]);
        Assert.Same(classifier, head.Layers[2]);
        Assert.Equal(lastConv.OutputShape, head.Inputs[0].Shape);

        Tensor features = convModel.Predict(images);
        Assert.Equal(model.Predict(images).ToArray(), head.Predict(features).ToArray());

        // Grad-CAM: the gradient of the top class's score with respect to the conv output.
        head.ComputesInputGradients = true;
        Tensor[] featureInputs = [features];
        Tensor scores = head.Forward(featureInputs, training: false)[0];
        var classGradient = new Tensor(scores.Shape);
        classGradient[0, 1] = 1f;
        classGradient[1, 2] = 1f;
        head.Backward(classGradient);
        Tensor analytic = head.InputGradients[0].Clone();
        Assert.Equal(features.Shape, analytic.Shape);

        // Central differences through the full model's own layers after the conv output.
        double[] numeric = InputGradientTesting.CentralDifferences(
            () => [classifier.Forward(pool.Forward(features, training: false), training: false)], featureInputs, 0, [classGradient]);
        InputGradientTesting.AssertClose(numeric, analytic);
    }

    [Fact]
    public void HeadModel_SharesWeightsWithTheOriginalAndLeavesItAsItWas()
    {
        (Functional model, Conv2D lastConv, _, Dense classifier) = SmallCnn();
        int layersBefore = model.Layers.Count;
        var head = new Functional(lastConv.Output, model.Outputs, name: "head");
        Tensor images = Tensor.RandomUniform(new TensorShape(2, 7, 7, 1), 3, -1f, 1f);
        Tensor features = new Functional(model.Inputs[0], lastConv.Output, name: "conv").Predict(images);

        classifier.Parameters[0].Value.AsSpan()[0] += 0.5f;

        Assert.Equal(model.Predict(images).ToArray(), head.Predict(features).ToArray());
        Assert.Equal(layersBefore, model.Layers.Count);
        Assert.Same(lastConv.Output, model.Layers[2].Output);
        Assert.Equal(classifier.Parameters.Count, head.Parameters.Count);
    }

    [Fact]
    public void Functional_InnerInputThatReachesNoOutput_ThrowsAndRecordsNoCall()
    {
        var x = new Input(new TensorShape(4), name: "x");
        var hidden = new Dense(3, name: "hidden");
        var side = new Dense(2, name: "side");
        var output = new Dense(1, name: "out");
        SymbolicTensor h = hidden.Call(x);
        SymbolicTensor s = side.Call(x);
        SymbolicTensor y = output.Call(new Concatenate().Call(h, s));
        _ = new Functional(x, y, name: "full");
        int calls = output.Nodes.Count;

        // y also depends on x through 'side', which is not an input of the new model.
        var e = Assert.Throws<ArgumentException>(() => new Functional(h, y, name: "cut"));

        Assert.Contains("Model 'cut' is disconnected", e.Message, StringComparison.Ordinal);
        Assert.Equal(calls, output.Nodes.Count);
        Assert.Single(side.Nodes);
    }

    [Fact]
    public void Functional_InnerInputAndTheOriginalInput_BothInputs()
    {
        var x = new Input(new TensorShape(4), name: "x");
        SymbolicTensor h = new Dense(3, ActivationFunction.Tanh, name: "hidden").Call(x);
        SymbolicTensor y = new Dense(1, name: "out").Call(new Concatenate().Call(h, new Dense(2, name: "side").Call(x)));
        var full = new Functional(x, y, name: "full", seed: 2);
        var both = new Functional([h, x], y, name: "both");
        Tensor xs = Tensor.RandomNormal(new TensorShape(3, 4), 1);
        Tensor hs = new Functional(x, h, name: "features").Predict(xs);

        Assert.Equal(["hiddenCLONE", "x"], both.Inputs.Select(i => i.Layer.Name));
        Assert.Equal(full.Predict(xs).ToArray(), both.Predict(new Tensor[] { hs, xs }).ToArray());
    }
}
