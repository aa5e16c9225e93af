namespace NeuralNet.Layers;

/// <summary>
/// A layer with the weight <see cref="SpectralNormalization"/> normalizes: Keras' <c>layer.kernel</c> (Dense, the
/// convolutions and their transposes, the depthwise convolutions) or <c>layer.embeddings</c> (Embedding), read as
/// (-1, its last axis).
/// </summary>
/// <remarks>
/// The wrapper writes the normalized kernel into the parameter itself, as Keras assigns it, so the layer's own forward and
/// backward passes run unchanged: implementing this costs the layer nothing per call.
/// </remarks>
internal interface IKernelLayer
{
    /// <summary>The kernel, in Keras' layout. Throws until the layer is built.</summary>
    Parameter Kernel { get; }
}
