using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NeuralNet.Optimizers;

/// <summary>
/// The one loop behind every element-wise optimizer (TensorPrimitives' operator-struct pattern): for each element,
/// <c>values[i] = rule.Apply(values[i], input[i], ref slot0[i], ref slot1[i], ref slot2[i])</c>, over
/// <see cref="Vector{T}"/> blocks and then a scalar tail, in one pass, allocating nothing.
/// </summary>
internal static class ElementwiseUpdate
{
    /// <summary>The largest number of state slots a rule can use (centered RMSprop with momentum uses three).</summary>
    public const int MaxSlots = 3;

    /// <summary>Runs a rule without state.</summary>
    public static void Run<TRule>(Span<float> values, ReadOnlySpan<float> input, in TRule rule)
        where TRule : struct, IElementwiseUpdate =>
        Run(values, input, default, default, default, rule);

    /// <summary>Runs a rule with one state slot.</summary>
    public static void Run<TRule>(Span<float> values, ReadOnlySpan<float> input, Span<float> slot0, in TRule rule)
        where TRule : struct, IElementwiseUpdate =>
        Run(values, input, slot0, default, default, rule);

    /// <summary>Runs a rule with two state slots.</summary>
    public static void Run<TRule>(Span<float> values, ReadOnlySpan<float> input, Span<float> slot0, Span<float> slot1, in TRule rule)
        where TRule : struct, IElementwiseUpdate =>
        Run(values, input, slot0, slot1, default, rule);

    /// <summary>
    /// Updates <paramref name="values"/> in place from <paramref name="input"/> and the rule's first
    /// <see cref="IElementwiseUpdate.SlotCount"/> slots, all of the same length.
    /// </summary>
    /// <exception cref="ArgumentException">A span the rule uses is not as long as <paramref name="values"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TRule>(Span<float> values, ReadOnlySpan<float> input, Span<float> slot0, Span<float> slot1, Span<float> slot2, in TRule rule)
        where TRule : struct, IElementwiseUpdate
    {
        int length = values.Length;
        if (input.Length != length
            || (TRule.SlotCount > 0 && slot0.Length != length)
            || (TRule.SlotCount > 1 && slot1.Length != length)
            || (TRule.SlotCount > 2 && slot2.Length != length))
        {
            ThrowLengthMismatch(length, input.Length, slot0.Length, slot1.Length, slot2.Length, TRule.SlotCount);
        }

        // A local copy, so that the JIT can keep the rule's constants in registers across the loop.
        TRule local = rule;
        ref float w = ref MemoryMarshal.GetReference(values);
        ref float g = ref MemoryMarshal.GetReference(input);
        ref float s0 = ref MemoryMarshal.GetReference(slot0);
        ref float s1 = ref MemoryMarshal.GetReference(slot1);
        ref float s2 = ref MemoryMarshal.GetReference(slot2);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // Slots the rule does not use point at a dummy; TRule.SlotCount is a constant, so the choice is made by the JIT.
            Vector<float> unused = default;
            for (; i <= length - Vector<float>.Count; i += Vector<float>.Count)
            {
                ref Vector<float> value = ref AsVector(ref w, i);
                value = local.Apply(
                    value,
                    AsVector(ref g, i),
                    ref TRule.SlotCount > 0 ? ref AsVector(ref s0, i) : ref unused,
                    ref TRule.SlotCount > 1 ? ref AsVector(ref s1, i) : ref unused,
                    ref TRule.SlotCount > 2 ? ref AsVector(ref s2, i) : ref unused);
            }
        }

        float unusedScalar = 0f;
        for (; i < length; i++)
        {
            ref float value = ref Unsafe.Add(ref w, i);
            value = local.Apply(
                value,
                Unsafe.Add(ref g, i),
                ref TRule.SlotCount > 0 ? ref Unsafe.Add(ref s0, i) : ref unusedScalar,
                ref TRule.SlotCount > 1 ? ref Unsafe.Add(ref s1, i) : ref unusedScalar,
                ref TRule.SlotCount > 2 ? ref Unsafe.Add(ref s2, i) : ref unusedScalar);
        }
    }

    // Vector<float> accesses through a float reference are unaligned loads and stores, as MemoryMarshal.Cast's are.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref Vector<float> AsVector(ref float start, int index) =>
        ref Unsafe.As<float, Vector<float>>(ref Unsafe.Add(ref start, index));

    private static void ThrowLengthMismatch(int length, int input, int slot0, int slot1, int slot2, int slotCount) =>
        throw new ArgumentException(
            $"The input and the {slotCount} state slots must have as many elements as the values ({length}); "
            + $"they have {input}, {slot0}, {slot1} and {slot2}.");
}
