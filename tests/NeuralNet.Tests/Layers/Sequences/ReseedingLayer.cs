using NeuralNet.Layers;

namespace NeuralNet.Tests.Layers.Sequences;

/// <summary>
/// Runs a layer with a dropout stream (<see cref="IRandomLayer"/>) with that stream reset before each forward pass,
/// so every pass of a numerical gradient check draws the same masks. The layer is its sublayer (built by
/// <see cref="Layer.BuildSublayer{TLayer}(TLayer, TensorShape)"/>), so the check covers its weights' gradients too.
/// </summary>
internal sealed class ReseedingLayer(Layer inner, long seed) : Layer(null)
{
    private Layer _inner = inner;

    public override string DefaultNamePrefix => "reseeding";

    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        _inner = BuildSublayer(_inner, inputShape);
        return _inner.OutputShape;
    }

    protected override Tensor OnForward(Tensor input, bool training)
    {
        ((IRandomLayer)_inner).LayerRandom.Reseed(seed);
        return _inner.Forward(input, training);
    }

    protected override Tensor OnBackward(Tensor outputGradient) => _inner.Backward(outputGradient);
}
