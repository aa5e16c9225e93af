using NeuralNet.Serialization;

namespace NeuralNet.Layers;

// Keras' Layer.from_config(layer.get_config()): a layer made again from its configuration, outside a model file.
public abstract partial class Layer
{
    /// <summary>
    /// Creates a new, unbuilt layer from a configuration (Keras' <c>Dense.from_config(layer.get_config())</c>), through the
    /// factory a model file's loading uses: <c>Layer.FromConfig("Dense", dense.GetConfig())</c> makes a Dense of the same
    /// settings and name, without its weights (copy them with <see cref="SetWeights"/> once it is built).
    /// </summary>
    /// <param name="className">The Keras class name of a built-in layer (<c>"Dense"</c>, <c>"Conv2D"</c>), or the name a type
    /// of your own was registered under with <see cref="SerializationRegistry.Register{T}(string, Func{Config, T})"/>.</param>
    /// <param name="config">What the layer's <see cref="GetConfig"/> wrote, or a configuration with Keras' keys.</param>
    /// <returns>The new layer; <c>"trainable"</c> and <c>"activity_regularizer"</c> are applied as on loading.</returns>
    /// <exception cref="ArgumentException">No layer is registered under <paramref name="className"/>; the message lists the
    /// built-in names and how to register a type of your own.</exception>
    /// <exception cref="InvalidDataException">A setting is missing, of the wrong type or refused by the layer; the message names it.</exception>
    public static Layer FromConfig(string className, Config config)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(className);
        ArgumentNullException.ThrowIfNull(config);
        return SerializationRegistry.CreateLayer(className, config);
    }

    /// <summary>
    /// Creates a new, unbuilt layer of type <typeparamref name="TLayer"/> from a configuration (Keras'
    /// <c>Dense.from_config(config)</c>): <c>Layer.FromConfig&lt;Dense&gt;(dense.GetConfig())</c>. The type must be built in
    /// or registered with <see cref="SerializationRegistry.Register{T}(string, Func{Config, T})"/>.
    /// </summary>
    /// <typeparam name="TLayer">The layer's type.</typeparam>
    /// <param name="config">What the layer's <see cref="GetConfig"/> wrote.</param>
    /// <returns>The new layer, as for <see cref="FromConfig(string, Config)"/>.</returns>
    /// <exception cref="ArgumentException"><typeparamref name="TLayer"/> is not registered; the message says how to register it.</exception>
    /// <exception cref="InvalidDataException">A setting is missing, of the wrong type or refused by the layer; the message names it.</exception>
    public static TLayer FromConfig<TLayer>(Config config)
        where TLayer : Layer
    {
        ArgumentNullException.ThrowIfNull(config);
        return SerializationRegistry.CreateLayer<TLayer>(config);
    }
}
