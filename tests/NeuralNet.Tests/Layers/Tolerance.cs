namespace NeuralNet.Tests.Layers;

/// <summary>Compares floats within an absolute tolerance, for <c>Assert.Equal</c> on sequences.</summary>
public sealed class Tolerance(float absolute) : IEqualityComparer<float>
{
    /// <inheritdoc/>
    public bool Equals(float x, float y) => Math.Abs(x - y) <= absolute || x == y;

    /// <inheritdoc/>
    public int GetHashCode(float obj) => 0;
}
