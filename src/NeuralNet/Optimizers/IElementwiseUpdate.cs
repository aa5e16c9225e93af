using System.Numerics;

namespace NeuralNet.Optimizers;

/// <summary>
/// One optimizer's update rule for a single element, written twice with the same arithmetic: for a
/// <see cref="Vector{T}"/> of elements and for one element (the tail). <see cref="ElementwiseUpdate"/> drives it. A rule
/// may add a third, 512-bit form (<see cref="IWideElementwiseUpdate"/>).
/// </summary>
/// <remarks>
/// Implemented by small readonly structs so that the driver, specialised per struct by the JIT, inlines both methods
/// into its loops (no delegate, no boxing). A rule uses the first <see cref="SlotCount"/> slot references and ignores
/// the others. Both methods must perform the same IEEE operations in the same order: a parameter split into row blocks
/// for several threads sends some elements through the other method, and results must not depend on the split.
/// </remarks>
internal interface IElementwiseUpdate
{
    /// <summary>The number of state slots the rule reads and writes (0 to <see cref="ElementwiseUpdate.MaxSlots"/>).</summary>
    static abstract int SlotCount { get; }

    /// <summary>Updates the slots of a vector of elements and returns the new values.</summary>
    /// <param name="value">The current values (parameter values, or the moving average for the EMA rule).</param>
    /// <param name="input">The driving input (the gradient, or the parameter values for the EMA rule).</param>
    /// <param name="slot0">The first state slot, updated in place.</param>
    /// <param name="slot1">The second state slot, updated in place.</param>
    /// <param name="slot2">The third state slot, updated in place.</param>
    Vector<float> Apply(Vector<float> value, Vector<float> input, ref Vector<float> slot0, ref Vector<float> slot1, ref Vector<float> slot2);

    /// <summary>The same update for one element.</summary>
    /// <param name="value">The current value.</param>
    /// <param name="input">The driving input.</param>
    /// <param name="slot0">The first state slot, updated in place.</param>
    /// <param name="slot1">The second state slot, updated in place.</param>
    /// <param name="slot2">The third state slot, updated in place.</param>
    float Apply(float value, float input, ref float slot0, ref float slot1, ref float slot2);
}
