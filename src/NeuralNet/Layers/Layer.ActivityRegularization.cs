using System.Numerics.Tensors;
using NeuralNet.Regularizers;

namespace NeuralNet.Layers;

// Keras' activity_regularizer: a penalty on the layer's output, added to the loss divided by the batch size (Keras 3's
// Layer.__call__ since it normalizes by batch), whose gradient joins the output gradient before the layer's backward pass.
public abstract partial class Layer
{
    private Regularizer? _activityRegularizer;
    private Tensor? _activityGradient;
    private Tensor? _outputGradientWithActivity;

    /// <summary>
    /// A penalty on the layer's output (Keras' <c>activity_regularizer</c>), or null: each forward pass adds
    /// <c>penalty(output) / batch size</c> to the loss (in training and in <c>Evaluate</c>, as Keras 3 does), and its
    /// gradient to the output gradient, e.g. <c>new Dense(64) { ActivityRegularizer = new L1(1e-4) }</c> for sparse
    /// activations. Not supported on a layer with several outputs (a recurrent layer with <c>ReturnState</c>); a model
    /// refuses such a layer when it is created.
    /// </summary>
    public Regularizer? ActivityRegularizer
    {
        get => _activityRegularizer;
        init => _activityRegularizer = value;
    }

    /// <summary>The penalty of the last forward pass's output, before the division by the batch size; 0 without a regularizer.</summary>
    internal float ActivityPenalty { get; private set; }

    /// <summary>Sets the regularizer read from a saved configuration (the registry does it for every layer, as <c>trainable</c>).</summary>
    internal void SetActivityRegularizer(Regularizer? regularizer) => _activityRegularizer = regularizer;

    private void RecordActivityPenalty(Tensor output) =>
        ActivityPenalty = _activityRegularizer is Regularizer regularizer ? regularizer.Penalty(output.AsReadOnlySpan()) : 0f;

    // dLoss/dOutput plus the gradient of penalty(output) / batch, in the layer's own buffer (the caller's is not changed).
    private Tensor WithActivityGradient(Tensor outputGradient)
    {
        if (_activityRegularizer is not Regularizer regularizer)
        {
            return outputGradient;
        }

        int batch = outputGradient.Shape[0];
        TensorShape sample = OutputShape;
        Tensor penalty = BatchView(ref _activityGradient, batch, sample);
        penalty.AsSpan().Clear();
        regularizer.AddGradient(_lastOutput!.AsReadOnlySpan(), penalty.AsSpan());
        TensorPrimitives.Divide(penalty.AsReadOnlySpan(), batch, penalty.AsSpan());
        Tensor total = BatchView(ref _outputGradientWithActivity, batch, sample);
        TensorPrimitives.Add(outputGradient.AsReadOnlySpan(), penalty.AsReadOnlySpan(), total.AsSpan());
        return total;
    }
}
