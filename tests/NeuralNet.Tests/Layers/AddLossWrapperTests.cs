using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Models;
using Xunit;

namespace NeuralNet.Tests.Layers;

/// <summary>
/// <c>AddLoss</c> from layers inside wrappers: a <see cref="Pipeline"/>'s layers add their terms and gradients as Keras'
/// do (each runs once on the batch); inside <see cref="TimeDistributed"/> it is refused, since Keras calls the wrapped
/// layer once per time step and this wrapper runs it once on every step's rows together.
/// </summary>
public class AddLossWrapperTests
{
    [Fact]
    public void Pipeline_InnerLayersTerm_CountsInTheLossAndItsGradient()
    {
        // input (3) -> Dense(4) -> Pipeline[squares term 0.5 * sum(h²) / B, Dense(2)]; MSE against y.
        var input = new Input(new TensorShape(3));
        var first = new Dense(4, name: "first");
        SymbolicTensor h = first.Call(input);
        var pipeline = new Pipeline([new RegisteredSquaresLoss(0.5f, name: "squares"), new Dense(2, name: "last")], name: "pipeline");
        var model = new Functional(input, pipeline.Call(h), seed: 61);
        model.Compile(new Sgd(0f), new MeanSquaredError());
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(6, 3, 2, seed: 62);

        double loss = model.Evaluate(x, y, batchSize: 6, verbose: 0)["loss"];
        float[] hidden = first.GetOutput(0).ToArray();
        double term = 0.5 * hidden.Sum(v => (double)v * v) / 6;
        Assert.True(term > 0.01, $"term {term}");
        double mse = new MeanSquaredError().Compute(pipeline.GetOutput(0), y);
        Assert.Equal(mse + term, loss, 5);
        Assert.Equal(term, model.AddedLoss, 5);

        // Every parameter, the first Dense's through the term's gradient too, against central differences of the
        // objective sum(G ⊙ output) + the added loss.
        ModelGradientChecker.Check(model, [x], seed: 63).AssertPassed();
    }

    [Fact]
    public void TimeDistributed_InnerLayerAddingALoss_IsRefusedNamingBoth_BeforeTraining()
    {
        // Keras 3's TimeDistributed calls the layer on each of the T steps' (B, ...) slices, adding T terms; here the layer
        // runs once on (B*T, ...), whose mean-type term would be 1/T of Keras' sum: refused, not silently rescaled.
        var model = new Sequential([new InputLayer(3, 2), new Dense(2, name: "dense"), new TimeDistributed(new RegisteredSquaresLoss(0.5f, name: "squares"), name: "td")], seed: 64);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 2), seed: 65);
        float[][] before = [.. model.GetWeights().Select(w => w.ToArray())];

        var fit = Assert.Throws<InvalidOperationException>(() => model.Fit(x, x, epochs: 1, batchSize: 2, verbose: 0));
        Assert.Contains("'squares'", fit.Message, StringComparison.Ordinal);
        Assert.Contains("TimeDistributed 'td'", fit.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.GetWeights().Select(w => w.ToArray()).ToArray());

        var evaluate = Assert.Throws<InvalidOperationException>(() => model.Evaluate(x, x, verbose: 0));
        Assert.Contains("'td'", evaluate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TimeDistributed_PipelineInside_LayerAddingALoss_IsRefused()
    {
        // The refusal follows the wrappers outwards: a layer in a Pipeline in a TimeDistributed still runs on B*T rows.
        var model = new Sequential([new InputLayer(3, 2), new TimeDistributed(new Pipeline([new RegisteredSquaresLoss(0.5f, name: "squares")]), name: "td")], seed: 66);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 2), seed: 67);
        var error = Assert.Throws<InvalidOperationException>(() => model.TestOnBatch(x, x));
        Assert.Contains("'squares'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'td'", error.Message, StringComparison.Ordinal);
    }
}
