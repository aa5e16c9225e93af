using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using Xunit;

namespace NeuralNet.Tests.Models;

/// <summary>Long calls over many batches (predictions, adapting preprocessing) stop at a canceled token, changing nothing.</summary>
public class CancellationTests
{
    private static Sequential Model() => new([new InputLayer(4), new Dense(3, ActivationFunction.Softmax)], seed: 3);

    [Fact]
    public void Predict_CanceledToken_ThrowsBeforeAnyBatch()
    {
        Sequential model = Model();
        Tensor x = Tensor.RandomNormal(new TensorShape(10, 4), 1);
        using var canceled = new CancellationTokenSource();
        canceled.Cancel();

        Assert.Throws<OperationCanceledException>(() => model.Predict(x, 4, cancellationToken: canceled.Token));
        Assert.Throws<OperationCanceledException>(() => model.PredictOutputs(x, 4, cancellationToken: canceled.Token));
        var destination = new Tensor(new TensorShape(10, 3));
        Assert.Throws<OperationCanceledException>(() => model.Predict(x, destination, 4, canceled.Token));
        Assert.All(destination.ToArray(), v => Assert.Equal(0f, v));

        // An uncanceled token predicts as before.
        Assert.Equal(model.Predict(x).ToArray(), model.Predict(x, 4, cancellationToken: CancellationToken.None).ToArray());
    }

    [Fact]
    public void Predict_TokenCanceledBetweenBatches_StopsAtTheNextBatch()
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(10, 4), 1);
        using var source = new CancellationTokenSource();
        var destination = new Tensor(new TensorShape(10, 3));
        destination.AsSpan().Fill(-1f);

        // A layer cancels the token while the first batch (rows 0-3) runs: that batch is written, the next is not run.
        var cancelling = new Sequential([new InputLayer(4), new CancelOnForward(source), new Dense(3, ActivationFunction.Softmax)], seed: 3);
        Assert.Throws<OperationCanceledException>(() => cancelling.Predict(x, destination, 4, source.Token));
        Assert.NotEqual(-1f, destination[0, 0]);
        Assert.Equal(-1f, destination[4, 0]);
    }

    [Fact]
    public void Adapt_CanceledToken_LeavesTheLayerAsItWas()
    {
        using var canceled = new CancellationTokenSource();
        canceled.Cancel();
        Tensor[] batches = [Tensor.RandomNormal(new TensorShape(5, 2), 1)];

        var normalization = new NeuralNet.Layers.Normalization();
        Assert.Throws<OperationCanceledException>(() => normalization.Adapt(batches, canceled.Token));
        Assert.False(normalization.IsAdapted);

        var discretization = new Discretization(numBins: 3);
        Assert.Throws<OperationCanceledException>(() => discretization.Adapt(batches, canceled.Token));

        var lookup = new IntegerLookup();
        Assert.Throws<OperationCanceledException>(() => lookup.Adapt([Tensor.FromArray([1f, 2f], 2)], canceled.Token));

        var strings = new StringLookup();
        Assert.Throws<OperationCanceledException>(() => strings.Adapt(["a", "b"], canceled.Token));
        var text = new TextVectorization();
        Assert.Throws<OperationCanceledException>(() => text.Adapt(["a b"], canceled.Token));
        Assert.Throws<InvalidOperationException>(() => text.Transform(["a"]));
    }

    // Cancels its token when it first runs forward, passing its input on.
    private sealed class CancelOnForward(CancellationTokenSource source) : Layer(null)
    {
        public override string DefaultNamePrefix => "cancel_on_forward";

        protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

        protected override Tensor OnForward(Tensor input, bool training)
        {
            source.Cancel();
            return input;
        }

        protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
    }
}
