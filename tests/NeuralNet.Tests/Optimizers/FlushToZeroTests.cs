using System.Numerics;
using System.Runtime.Intrinsics;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>
/// Slots that decay geometrically are flushed to 0 below the smallest normal float (TensorFlow on a CPU flushes to zero):
/// otherwise m += (0 − m)·0.1 stops at 4·2^-149 and the slot stays subnormal, slow on x86, for the rest of training.
/// </summary>
public class FlushToZeroTests
{
    // 67 elements: full vectors of every width (16, 8, 4 lanes) and a scalar tail of 3.
    private const int Length = 67;

    private static readonly float Subnormal = BitConverter.Int32BitsToSingle(0x0000_1234); // 6.5e-42

    [Fact]
    public void AdamStep_GradientStopsFor1200Steps_MomentumIsExactlyZero()
    {
        var adam = new Adam();
        var p = new Parameter("kernel", new TensorShape(Length), true, null);
        p.Gradient.Fill(1f);
        adam.Step([p]);
        for (int s = 0; s < 1200; s++)
        {
            adam.Step([p]); // the gradient reads as 0 after a step
        }

        Tensor momentum = adam.GetOrCreateState(p)[0];
        for (int i = 0; i < Length; i++)
        {
            // Without the flush every element is stuck at 4·2^-149 = 5.6e-45.
            Assert.True(BitConverter.SingleToInt32Bits(momentum[i]) == 0, $"element {i}: {momentum[i]:R}");
        }

        Assert.True(adam.GetOrCreateState(p)[1][0] > 1e-4f, "the velocity (0.001 after the first step) decays far more slowly: 0.999^1200 leaves a third of it");
    }

    public static TheoryData<string> DecayingOptimizers => new()
    {
        "sgd-momentum", "sgd-nesterov", "adam", "adamw", "nadam", "adamax", "rmsprop", "rmsprop-momentum", "rmsprop-centered",
        "rmsprop-centered-momentum", "adadelta", "lion", "lamb",
    };

    [Theory]
    [MemberData(nameof(DecayingOptimizers))]
    public void Step_SubnormalSlotsAndZeroGradient_FlushesThemToZeroAndKeepsNormalAndNaNValues(string name)
    {
        Optimizer optimizer = Create(name);
        var p = new Parameter("kernel", new TensorShape(Length), true, null);
        p.Value.Fill(0.5f);
        Tensor[] slots = optimizer.GetOrCreateState(p);
        foreach (Tensor slot in slots)
        {
            slot.AsSpan().Fill(Subnormal);
            slot[5] = 1f;            // normal: decays but stays normal
            slot[Length - 2] = -Subnormal;
            slot[Length - 1] = float.NaN; // in the scalar tail: divergence must stay visible
        }

        optimizer.Step([p]);
        for (int s = 0; s < slots.Length; s++)
        {
            for (int i = 0; i < Length; i++)
            {
                float x = slots[s][i];
                if (i == Length - 1)
                {
                    Assert.True(float.IsNaN(x), $"{name} slot {s}: NaN became {x}");
                }
                else if (i == 5)
                {
                    Assert.True(Math.Abs(x) >= ElementwiseUpdate.MinNormal || x == 0f, $"{name} slot {s}, element 5: {x:R}");
                }
                else
                {
                    Assert.True(BitConverter.SingleToInt32Bits(x) == 0, $"{name} slot {s}, element {i}: {x:R} (expected +0)");
                }
            }
        }
    }

    [Fact]
    public void FlushToZero_VectorWideAndScalarForms_AgreeBitForBit()
    {
        float[] inputs =
        [
            0f, -0f, float.Epsilon, -float.Epsilon, Subnormal, -Subnormal, BitConverter.Int32BitsToSingle(0x007F_FFFF),
            ElementwiseUpdate.MinNormal, -ElementwiseUpdate.MinNormal, 1f, -3.5e-38f, 1e30f, float.NaN, float.PositiveInfinity,
            float.NegativeInfinity, -1.1754942E-38f,
        ];
        float[] scalar = [.. inputs.Select(ElementwiseUpdate.FlushToZero)];
        Assert.All(scalar[..7], x => Assert.Equal(0, BitConverter.SingleToInt32Bits(x))); // +0, whatever the sign
        Assert.Equal(inputs[7..12], scalar[7..12]);
        Assert.True(float.IsNaN(scalar[12]));
        Assert.Equal(0, BitConverter.SingleToInt32Bits(scalar[15]));

        float[] padded = new float[Math.Max(Vector<float>.Count, Vector512<float>.Count) * ((inputs.Length / 4) + 1)];
        inputs.CopyTo(padded, 0);
        for (int i = 0; i + Vector<float>.Count <= padded.Length; i += Vector<float>.Count)
        {
            Vector<float> flushed = ElementwiseUpdate.FlushToZero(new Vector<float>(padded, i));
            for (int k = 0; k < Vector<float>.Count; k++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(ElementwiseUpdate.FlushToZero(padded[i + k])), BitConverter.SingleToInt32Bits(flushed[k]));
            }
        }

        for (int i = 0; i + Vector512<float>.Count <= padded.Length; i += Vector512<float>.Count)
        {
            Vector512<float> flushed = ElementwiseUpdate.FlushToZero(Vector512.Create(padded.AsSpan(i, Vector512<float>.Count)));
            for (int k = 0; k < Vector512<float>.Count; k++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(ElementwiseUpdate.FlushToZero(padded[i + k])), BitConverter.SingleToInt32Bits(flushed[k]));
            }
        }
    }

    [Fact]
    public void AdamRule_SubnormalSlots_VectorWideAndScalarPathsAgreeBitForBit()
    {
        // Slots near the flush threshold, through RunWide (512-bit, Vector<float>, tail) and one element at a time.
        var rule = new Adam.Rule(0.01f, 0.1f, 0.001f, 1e-7f);
        int n = (3 * Vector512<float>.Count) + Vector<float>.Count + 3;
        float[] w = new float[n], g = new float[n], m = new float[n], v = new float[n];
        for (int i = 0; i < n; i++)
        {
            w[i] = i;
            g[i] = i % 3 == 0 ? 0f : 1e-20f * (i - 7);
            m[i] = (i % 5) switch { 0 => Subnormal, 1 => 1.3e-38f, 2 => -1.2e-38f, 3 => 1e-3f, _ => -Subnormal };
            v[i] = (i % 4) switch { 0 => Subnormal, 1 => 1.2e-38f, 2 => 0f, _ => 1e-6f };
        }

        float[] w1 = [.. w], m1 = [.. m], v1 = [.. v];
        ElementwiseUpdate.RunWide(w, g, m, v, default, rule);
        for (int i = 0; i < n; i++)
        {
            ElementwiseUpdate.Run(w1.AsSpan(i, 1), g.AsSpan(i, 1), m1.AsSpan(i, 1), v1.AsSpan(i, 1), rule);
        }

        Assert.Equal(w1.Select(BitConverter.SingleToInt32Bits), w.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(m1.Select(BitConverter.SingleToInt32Bits), m.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(v1.Select(BitConverter.SingleToInt32Bits), v.Select(BitConverter.SingleToInt32Bits));
        Assert.DoesNotContain(m, x => x != 0f && Math.Abs(x) < ElementwiseUpdate.MinNormal);
        Assert.DoesNotContain(v, x => x != 0f && Math.Abs(x) < ElementwiseUpdate.MinNormal);
    }

    private static Optimizer Create(string name) => name switch
    {
        "sgd-momentum" => new Sgd(0.1f, 0.9f),
        "sgd-nesterov" => new Sgd(0.1f, 0.9f, nesterov: true),
        "adam" => new Adam(),
        "adamw" => new AdamW(),
        "nadam" => new Nadam(),
        "adamax" => new Adamax(),
        "rmsprop" => new RmsProp(),
        "rmsprop-momentum" => new RmsProp(momentum: 0.5f),
        "rmsprop-centered" => new RmsProp(centered: true),
        "rmsprop-centered-momentum" => new RmsProp(momentum: 0.5f, centered: true),
        "adadelta" => new Adadelta(),
        "lion" => new Lion(),
        "lamb" => new Lamb(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}
