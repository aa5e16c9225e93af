namespace NeuralNet.Layers;

/// <summary>How <see cref="Bidirectional"/> joins the outputs of its forward and backward layers (Keras' <c>merge_mode</c>).</summary>
public enum BidirectionalMergeMode
{
    /// <summary>Side by side on the last axis: forward first, then backward (Keras' default, <c>"concat"</c>).</summary>
    Concat,

    /// <summary>Their element-wise sum (<c>"sum"</c>).</summary>
    Sum,

    /// <summary>Their element-wise product (<c>"mul"</c>).</summary>
    Mul,

    /// <summary>Their element-wise mean (<c>"ave"</c>).</summary>
    Ave,

    /// <summary>
    /// No merge (Keras' <c>merge_mode=None</c>): the layer has two outputs, the forward and the backward layer's (the latter
    /// in time order), so it is called with <see cref="Layer.CallOutputs(ReadOnlySpan{NeuralNet.Models.SymbolicTensor})"/>.
    /// </summary>
    None,
}
