using System.Runtime.Intrinsics;

namespace NeuralNet.Optimizers;

/// <summary>
/// A rule that is also written for <see cref="Vector512{T}"/>, with the same IEEE operations in the same order as its
/// other two forms, so that <see cref="ElementwiseUpdate.RunWide{TRule}"/> gives the same bits on every machine.
/// </summary>
/// <remarks>
/// Only rules bound by their square roots and divisions gain from it (Adam's, also AdamW's, and RMSprop's default rule:
/// 1.4-1.6x over a 784 x 512 kernel; Adam's AMSGrad rule is written wide too, as Adam's loop plus one maximum, and was not
/// measured on its own); a rule of multiplies and adds alone (SGD with momentum) is bound by memory and
/// measured the same at both widths. The others run their <see cref="System.Numerics.Vector{T}"/> form, which is
/// 256 bits wide on an AVX-512 machine.
/// </remarks>
internal interface IWideElementwiseUpdate : IElementwiseUpdate
{
    /// <summary>Updates the slots of a 512-bit vector of elements and returns the new values.</summary>
    /// <param name="value">The current values.</param>
    /// <param name="input">The driving input.</param>
    /// <param name="slot0">The first state slot, updated in place.</param>
    /// <param name="slot1">The second state slot, updated in place.</param>
    /// <param name="slot2">The third state slot, updated in place.</param>
    Vector512<float> Apply(Vector512<float> value, Vector512<float> input, ref Vector512<float> slot0, ref Vector512<float> slot1, ref Vector512<float> slot2);
}
