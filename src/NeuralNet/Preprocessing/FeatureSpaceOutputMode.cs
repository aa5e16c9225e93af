namespace NeuralNet.Preprocessing;

/// <summary>What a <see cref="FeatureSpace"/> returns (Keras' <c>output_mode</c>).</summary>
public enum FeatureSpaceOutputMode
{
    /// <summary>Keras' <c>"concat"</c>: every encoded feature joined into one (samples, width) tensor, through <see cref="FeatureSpace.Transform"/>.</summary>
    Concat,

    /// <summary>Keras' <c>"dict"</c>: one tensor per feature and cross, through <see cref="FeatureSpace.TransformToDictionary"/>.</summary>
    Dict,
}
