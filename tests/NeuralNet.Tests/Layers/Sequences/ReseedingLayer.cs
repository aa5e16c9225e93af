using NeuralNet.Layers;

namespace NeuralNet.Tests.Layers.Sequences;

/// <summary>
/// Runs a built layer with a dropout stream (<see cref="IRandomLayer"/>) with that stream reset before each forward pass,
/// so every pass of a numerical gradient check draws the same masks.
/// </summary>
internal sealed class ReseedingLayer(Layer inner, long seed) : Layer(null)
{
    public override string DefaultNamePrefix => "reseeding";

    protected override TensorShape OnBuild(TensorShape inputShape) => inner.OutputShape;

    protected override Tensor OnForward(Tensor input, bool training)
    {
        ((IRandomLayer)inner).LayerRandom.Reseed(seed);
        return inner.Forward(input, training);
    }

    protected override Tensor OnBackward(Tensor outputGradient) => inner.Backward(outputGradient);
}
