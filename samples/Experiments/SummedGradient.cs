using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives; // not the namespace: its Tensor class would make NeuralNet's Tensor ambiguous (CS0104) where this is copied
using NeuralNet.Layers;

namespace NeuralNet.Experiments;

/// <summary>
/// Passes its input through unchanged, (batch, features) -> (batch, features), and multiplies the gradient going back
/// by the number of samples in the batch. Placed after a layer, it turns that layer's gradient from the mean over the
/// batch into the sum, which is what E1.1's document computes for its first layer.
/// </summary>
internal sealed class SummedGradient : Layer
{
    private Tensor? _inputGradient;

    public SummedGradient(string? name = null)
        : base(name)
    {
    }

    public override string DefaultNamePrefix => "summed_gradient";

    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    protected override Tensor OnForward(Tensor input, bool training) => input;

    protected override Tensor OnBackward(Tensor outputGradient)
    {
        // dInput = dY * batch: the loss is a mean over the batch, so dY carries a 1/batch that the document's
        // first layer never applies (its dw1 = dz1 @ x and db1 = sum(dz1) are not divided by batch_size).
        int batch = outputGradient.Shape[0];
        Tensor inputGradient = BatchView(ref _inputGradient, batch, OutputShape);
        TensorPrimitives.Multiply(outputGradient.AsReadOnlySpan(), batch, inputGradient.AsSpan());
        return inputGradient;
    }
}
