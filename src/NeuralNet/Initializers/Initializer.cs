using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>
/// Fills a new parameter with its starting values. Every random initializer is reproducible from a seed:
/// its own, when one was given to its constructor, else the one the layer derives from the model's seed.
/// </summary>
public abstract class Initializer
{
    /// <summary>The identifier used in saved model configurations, such as <c>glorot_uniform</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Fills <paramref name="values"/>, the elements of a parameter of shape <paramref name="shape"/>.</summary>
    /// <param name="values">The destination, <c>shape.ElementCount</c> long.</param>
    /// <param name="shape">The parameter's shape, from which fans are computed (see <c>Fans</c>).</param>
    /// <param name="seed">The seed the layer derived for this parameter; ignored when the initializer has its own.</param>
    public abstract void Initialize(Span<float> values, TensorShape shape, long seed);

    /// <summary>
    /// Checks, when a layer creates the parameter (before anything is filled), that the initializer can fill a weight of shape
    /// <paramref name="shape"/>; the layer rethrows naming itself and the parameter. Accepts every shape unless overridden.
    /// </summary>
    /// <param name="shape">The parameter's shape.</param>
    /// <exception cref="ArgumentException">The initializer cannot fill a parameter of that shape.</exception>
    public virtual void ValidateShape(TensorShape shape)
    {
    }

    /// <summary>The initializer's settings under Keras' names (Keras' <c>get_config</c>); empty for one without settings.</summary>
    public virtual Config GetConfig() => new();
}
