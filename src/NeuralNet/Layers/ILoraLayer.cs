using NeuralNet.Initializers;

namespace NeuralNet.Layers;

/// <summary>
/// A layer with Keras' LoRA (low-rank adaptation): <see cref="Dense"/>, <see cref="EinsumDense"/> and
/// <see cref="Embedding"/>. Once enabled, the layer's weight W (kernel or embeddings) is frozen and the layer computes
/// with <c>W + (alpha / rank) · A·B</c>, where only A and B are trained.
/// </summary>
/// <remarks>
/// Files keep what Keras keeps: the merged weight in W's place, and the layer's <c>lora_rank</c> and <c>lora_alpha</c>
/// in its configuration; loading such a file enables LoRA again with A and B set to zeros, as Keras'
/// <c>load_own_variables</c> does. See docs/layers.md.
/// </remarks>
public interface ILoraLayer
{
    /// <summary>Whether LoRA is enabled (Keras' <c>lora_enabled</c>).</summary>
    bool LoraEnabled { get; }

    /// <summary>Keras' <c>lora_rank</c>: the rank LoRA is enabled with, or the one the layer enables when built; null for none.</summary>
    int? LoraRank { get; }

    /// <summary>Keras' <c>lora_alpha</c>: A·B is scaled by <c>LoraAlpha / LoraRank</c>; the rank when not given; null without LoRA.</summary>
    float? LoraAlpha { get; }

    /// <summary>The weight LoRA adapts (the kernel or the embeddings), frozen once LoRA is enabled. Throws until the layer is built.</summary>
    Parameter LoraTarget { get; }

    /// <summary>A: the weight's shape without its last axis, then the rank; null until LoRA is enabled.</summary>
    Parameter? LoraA { get; }

    /// <summary>B: (rank, the weight's last axis); null until LoRA is enabled.</summary>
    Parameter? LoraB { get; }

    /// <summary>
    /// Keras' <c>enable_lora</c>: freezes the weight and adds A and B, trainable, with their initializers' values (drawn from
    /// the layer's seed).
    /// </summary>
    /// <param name="rank">The rank of A·B, at least 1.</param>
    /// <param name="alpha">Keras' <c>lora_alpha</c> (Keras 3.10+); null for <paramref name="rank"/>, so that A·B is unscaled.
    /// A double, as Keras' literal reads in C#; used as float32 (<see cref="LoraAlpha"/>).</param>
    /// <param name="aInitializer">A's initializer; null for <see cref="HeUniform"/>, Keras' <c>he_uniform</c>.</param>
    /// <param name="bInitializer">B's initializer; null for <see cref="Zeros"/>, so the layer starts as it was.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rank"/> is below 1, or <paramref name="alpha"/> is not finite as float32.</exception>
    /// <exception cref="ArgumentException">An initializer does not fit its parameter's shape.</exception>
    /// <exception cref="InvalidOperationException">The layer is not built, already has LoRA, or has a constraint on the weight (which Keras refuses with LoRA).</exception>
    void EnableLora(int rank, double? alpha = null, Initializer? aInitializer = null, Initializer? bInitializer = null);

    /// <summary>
    /// A new tensor holding the effective weight, <c>W + (alpha / rank) · A·B</c> (Keras' <c>_get_kernel_with_merged_lora</c>),
    /// or a copy of the weight when LoRA is not enabled: what files keep in the weight's place.
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer is not built.</exception>
    Tensor GetMergedWeight();
}
