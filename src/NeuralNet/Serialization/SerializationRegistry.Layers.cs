using NeuralNet.Layers;

namespace NeuralNet.Serialization;

/// <content>Layers made from a configuration alone, outside a model file (<see cref="Layer.FromConfig(string, Config)"/>).</content>
public static partial class SerializationRegistry
{
    /// <summary>A new, unbuilt layer of the built-in or registered class <paramref name="className"/> made from <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">No layer is registered under <paramref name="className"/>.</exception>
    /// <exception cref="InvalidDataException">The configuration holds a missing, ill-typed or refused value.</exception>
    internal static Layer CreateLayer(string className, Config config)
    {
        Entry entry = Find(ComponentKind.Layer, className) ?? throw new ArgumentException(
            $"\"{FormatError.Shorten(className)}\" is not a known layer class; built-in layers: {KnownNames(ComponentKind.Layer)}. A layer type of your own must be registered first, under the name given here: SerializationRegistry.Register<MyLayer>(\"MyApp>MyLayer\", config => new MyLayer(...)) (or use Layer.FromConfig<MyLayer>).",
            nameof(className));
        return (Layer)Create(entry, config, config);
    }

    /// <summary>A new, unbuilt layer of the built-in or registered type <typeparamref name="TLayer"/> made from <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException"><typeparamref name="TLayer"/> is not registered.</exception>
    /// <exception cref="InvalidDataException">The configuration holds a missing, ill-typed or refused value.</exception>
    internal static TLayer CreateLayer<TLayer>(Config config)
        where TLayer : Layer
    {
        Entry? entry;
        lock (s_lock)
        {
            s_byType.TryGetValue(typeof(TLayer), out entry);
        }

        return entry is null
            ? throw new ArgumentException(
                $"The layer type {typeof(TLayer).FullName} is not registered, so nothing can make it from a configuration: register it first with SerializationRegistry.Register<{typeof(TLayer).Name}>(\"MyApp>{typeof(TLayer).Name}\", config => new {typeof(TLayer).Name}(...)).",
                nameof(TLayer))
            : (TLayer)Create(entry, config, config);
    }
}
