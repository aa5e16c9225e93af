namespace NeuralNet.Layers;

/// <summary>What a <see cref="Reduce"/> layer computes over its axes (Keras' <c>ops.mean</c>, <c>ops.sum</c>, <c>ops.max</c>, <c>ops.min</c>).</summary>
public enum Reduction
{
    /// <summary>The mean of the elements.</summary>
    Mean,

    /// <summary>The sum of the elements.</summary>
    Sum,

    /// <summary>The largest element.</summary>
    Max,

    /// <summary>The smallest element.</summary>
    Min,
}
