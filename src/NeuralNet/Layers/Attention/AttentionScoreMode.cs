namespace NeuralNet.Layers;

/// <summary>How <see cref="Attention"/> scores a query step against a key step (Keras' <c>score_mode</c>).</summary>
public enum AttentionScoreMode
{
    /// <summary><c>"dot"</c>: the dot product <c>q·k</c>, times the scale when the layer has one.</summary>
    Dot,

    /// <summary><c>"concat"</c>: <c>w · Σ_d tanh(q_d + k_d)</c> (the sum scaled inside the tanh when the layer has a scale).</summary>
    Concat,
}
