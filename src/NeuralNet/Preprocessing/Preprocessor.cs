using NeuralNet.Serialization;

namespace NeuralNet.Preprocessing;

/// <summary>
/// An object that turns raw data (such as text) into the tensors a model takes, kept outside the model's graph because
/// tensors hold only floats. Put one in <see cref="Models.Model.Preprocessing"/> to save it in the model's file (with
/// its learned state, such as a vocabulary) and get it back from <see cref="Models.Model.Load(string)"/>.
/// </summary>
/// <remarks>
/// A preprocessor of your own is saved when it overrides <see cref="GetConfig"/> with everything needed to recreate it
/// and is registered with <see cref="SerializationRegistry.Register{T}"/>.
/// </remarks>
public abstract class Preprocessor
{
    /// <summary>The preprocessor's settings and learned state under Keras' snake_case names (Keras' <c>get_config</c>).</summary>
    /// <returns>A new configuration.</returns>
    public abstract Config GetConfig();
}
