using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    public static void Run<TRule>(Span<float> values, ReadOnlySpan<float> input, Span<float> slot0, Span<float> slot1, Span<float> slot2, in TRule rule)
        where TRule : struct, IElementwiseUpdate
    {
        CheckLengths<TRule>(values.Length, input.Length, slot0.Length, slot1.Length, slot2.Length);
        RunFrom(0, values, input, slot0, slot1, slot2, rule);
    }

    /// <summary>
    /// <see cref="Run{TRule}(Span{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, in TRule)"/> for a rule
    /// that also has a <see cref="Vector512{T}"/> form, which it runs first where 512-bit vectors are accelerated.
    /// </summary>
    /// <exception cref="ArgumentException">A span the rule uses is not as long as <paramref name="values"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunWide<TRule>(Span<float> values, ReadOnlySpan<float> input, Span<float> slot0, Span<float> slot1, Span<float> slot2, in TRule rule)
        where TRule : struct, IWideElementwiseUpdate
    {
        int length = values.Length;
        CheckLengths<TRule>(length, input.Length, slot0.Length, slot1.Length, slot2.Length);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // The same arithmetic as the Vector<float> loop, on twice the lanes: the update of a large kernel runs out of
            // the last-level cache, where the wider loop moves the same bytes with half the instructions.
            TRule local = rule;
            ref float w = ref MemoryMarshal.GetReference(values);
            ref float g = ref MemoryMarshal.GetReference(input);
            ref float s0 = ref MemoryMarshal.GetReference(slot0);
            ref float s1 = ref MemoryMarshal.GetReference(slot1);
            ref float s2 = ref MemoryMarshal.GetReference(slot2);
            Vector512<float> unused = default;
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                ref Vector512<float> value = ref AsVector512(ref w, i);
                value = local.Apply(
                    value,
                    AsVector512(ref g, i),
                    ref TRule.SlotCount > 0 ? ref AsVector512(ref s0, i) : ref unused,
                    ref TRule.SlotCount > 1 ? ref AsVector512(ref s1, i) : ref unused,
                    ref TRule.SlotCount > 2 ? ref AsVector512(ref s2, i) : ref unused);
            }
        }

        RunFrom(i, values, input, slot0, slot1, slot2, rule);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunFrom<TRule>(int start, Span<float> values, ReadOnlySpan<float> input, Span<float> slot0, Span<float> slot1, Span<float> slot2, in TRule rule)
        where TRule : struct, IElementwiseUpdate
    {
        int length = values.Length;

        // A local copy, so that the JIT can keep the rule's constants in registers across the loop.
        TRule local = rule;
        ref float w = ref MemoryMarshal.GetReference(values);
        ref float g = ref MemoryMarshal.GetReference(input);
        ref float s0 = ref MemoryMarshal.GetReference(slot0);
        ref float s1 = ref MemoryMarshal.GetReference(slot1);
        ref float s2 = ref MemoryMarshal.GetReference(slot2);
        int i = start;
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

    /// <summary>The smallest positive normal float32, 2^-126 (<c>FLT_MIN</c>; .NET has no constant for it).</summary>
    public const float MinNormal = 1.17549435E-38f;

    /// <summary>
    /// <paramref name="x"/> with every element whose magnitude is below <see cref="MinNormal"/> (a subnormal) replaced by
    /// +0; NaN and infinities pass. Rules apply it to the slots that decay geometrically (m += (0 − m)·0.1 stops at
    /// 4·2^-149 and never reaches 0), as TensorFlow on a CPU does with flush-to-zero: arithmetic on subnormals is many
    /// times slower on x86, and a slot of a parameter whose gradient has stopped would otherwise stay subnormal for good.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> FlushToZero(Vector<float> x) =>
        Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(x), new Vector<float>(MinNormal)), Vector<float>.Zero, x);

    /// <summary>The 512-bit form of <see cref="FlushToZero(Vector{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FlushToZero(Vector512<float> x) =>
        Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x), Vector512.Create(MinNormal)), Vector512<float>.Zero, x);

    /// <summary>The one-element form of <see cref="FlushToZero(Vector{float})"/>: the same result bit for bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float FlushToZero(float x) => MathF.Abs(x) < MinNormal ? 0f : x;

    private static void CheckLengths<TRule>(int length, int input, int slot0, int slot1, int slot2)
        where TRule : struct, IElementwiseUpdate
    {
        if (input != length
            || (TRule.SlotCount > 0 && slot0 != length)
            || (TRule.SlotCount > 1 && slot1 != length)
            || (TRule.SlotCount > 2 && slot2 != length))
        {
            ThrowLengthMismatch(length, input, slot0, slot1, slot2, TRule.SlotCount);
        }
    }

    // Vector<float> accesses through a float reference are unaligned loads and stores, as MemoryMarshal.Cast's are.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref Vector<float> AsVector(ref float start, int index) =>
        ref Unsafe.As<float, Vector<float>>(ref Unsafe.Add(ref start, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref Vector512<float> AsVector512(ref float start, int index) =>
        ref Unsafe.As<float, Vector512<float>>(ref Unsafe.Add(ref start, index));

    private static void ThrowLengthMismatch(int length, int input, int slot0, int slot1, int slot2, int slotCount) =>
        throw new ArgumentException(
            $"The input and the {slotCount} state slots must have as many elements as the values ({length}); "
            + $"they have {input}, {slot0}, {slot1} and {slot2}.");
}
