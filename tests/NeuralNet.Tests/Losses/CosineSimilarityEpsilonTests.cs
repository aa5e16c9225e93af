using NeuralNet.Losses;
using Xunit;

namespace NeuralNet.Tests.Losses;

/// <summary>
/// CosineSimilarity's small-norm floor against Keras 3 (keras/src/ops/nn.py _normalize: x · min(rsqrt(Σx²), 1 / 1e-7)),
/// not Keras 2's l2_normalize (squared norm at least 1e-12).
/// </summary>
public class CosineSimilarityEpsilonTests
{
    [Fact]
    public void NormBetween1e7And1e6_IsNotClamped()
    {
        // ‖p‖ = 5e-7: Keras 3 normalises it exactly (1 / 5e-7 = 2e6 < 1e7): loss −1, gradient 0 (p and t are aligned).
        Tensor p = Tensor.FromArray([5e-7f, 0f], 1, 2), t = Tensor.FromArray([1f, 0f], 1, 2);
        var loss = new CosineSimilarity();

        Assert.Equal(-1f, loss.Compute(p, t), 6);
        var gradient = Tensor.FromArray(new float[2], 1, 2);
        loss.Gradient(p, t, gradient);
        Assert.True(Math.Abs(gradient.AsReadOnlySpan()[0]) < 1e-3f, $"gradient {gradient.AsReadOnlySpan()[0]}");
        Assert.Equal(0f, gradient.AsReadOnlySpan()[1]);
    }

    [Fact]
    public void NormBelow1e7_UsesInverseNorm1e7WithNoGradientThroughIt()
    {
        // ‖p‖ = 5e-8 < 1e-7: p · 1e7 = (0.5, 0): loss −0.5; d/dp = −t · 1e7 (the clamped inverse norm is a constant).
        Tensor p = Tensor.FromArray([5e-8f, 0f], 1, 2), t = Tensor.FromArray([1f, 0f], 1, 2);
        var loss = new CosineSimilarity();

        Assert.Equal(-0.5f, loss.Compute(p, t), 5);
        var gradient = Tensor.FromArray(new float[2], 1, 2);
        loss.Gradient(p, t, gradient);
        Assert.Equal(-1e7f, gradient.AsReadOnlySpan()[0], 1f);
    }
}
