using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Layers.Operations;

/// <summary>Checks that a layer making a condition (a mask) gets no gradient while the model trains.</summary>
internal static class ConditionGradients
{
    /// <summary>
    /// Takes <paramref name="steps"/> training steps of <paramref name="model"/> (compiled): at each, every gradient of
    /// <paramref name="condition"/> is zero (none reached it, and none is left from a step before) while
    /// <paramref name="learning"/>'s kernel gets one; at the end <paramref name="condition"/>'s kernel is as it was.
    /// </summary>
    public static void AssertNoneReachTheCondition(Model model, Layer condition, Layer learning, Tensor inputs, Tensor targets, int steps = 3)
    {
        float[] kernel = condition.Parameters[0].Value.ToArray();
        for (int step = 0; step < steps; step++)
        {
            model.ComputeGradients(inputs, targets);
            foreach (Parameter p in condition.Parameters)
            {
                Assert.All(p.Gradient.ToArray(), g => Assert.Equal(0f, g));
            }

            Assert.Contains(learning.Parameters[0].Gradient.ToArray(), g => g != 0f);
            model.Optimizer!.Step(model.Parameters);
        }

        Assert.Equal(kernel, condition.Parameters[0].Value.ToArray());
    }
}
