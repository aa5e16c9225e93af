namespace NeuralNet.Layers;

/// <summary>How convolution and pooling windows treat the borders of their input (Keras <c>padding</c>).</summary>
public enum Padding
{
    /// <summary>No padding: only whole windows inside the input; the output shrinks to (in - window) / stride + 1.</summary>
    Valid,

    /// <summary>
    /// Pad so the output has ceil(in / stride) positions; the padding is split evenly with the odd element at the
    /// bottom/right, as Keras and TensorFlow do. Convolutions pad with zeros; pooling ignores padded positions.
    /// </summary>
    Same,

    /// <summary>
    /// Pad only before the sequence, by dilation·(kernel − 1), so that each output step sees only its own and earlier
    /// steps (Keras' <c>"causal"</c>): for <see cref="Conv1D"/> only.
    /// </summary>
    Causal,
}
