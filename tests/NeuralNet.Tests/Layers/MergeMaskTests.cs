using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Tests.GradientChecking;
using Xunit;
using TestData = NeuralNet.Tests.GradientChecking.TestData;

namespace NeuralNet.Tests.Layers;

/// <summary>
/// Masks through the merge layers as Keras 3 combines them (keras/src/layers/merging: base_merge.py compute_mask and
/// _apply_merge_op_and_or_mask, multiply.py, concatenate.py compute_mask): Keras' merging_test.py values, a
/// transliteration of Keras' code on random inputs and masks, numerical gradients with masks, and no allocation.
/// </summary>
public class MergeMaskTests
{
    private static readonly float[] X1 = [0, 0, 1, 2, 0, 0, 3, 4];
    private static readonly float[] X2 = [0, 0, 0, 0, 1, 2, 3, 4];

    public static TheoryData<string, float[], float[], float[]> KerasWithMaskCases { get; } = new()
    {
        // merging_test.py test_<kind>_with_mask: (values with only x1 masked, values with both masked); Maximum runs on
        // the negated inputs there.
        { "add", [0, 0, 1, 2, 1, 2, 6, 8], [0, 0, 1, 2, 1, 2, 6, 8], [1, 1] },
        { "subtract", [0, 0, 1, 2, -1, -2, 0, 0], [0, 0, 1, 2, -1, -2, 0, 0], [1, 1] },
        { "average", [0, 0, 0.5f, 1, 0.5f, 1, 3, 4], [0, 0, 0.5f, 1, 0.5f, 1, 3, 4], [1, 1] },
        { "multiply", [0, 0, 0, 0, 1, 2, 9, 16], [0, 0, 1, 2, 1, 2, 9, 16], [1, 1] },
        { "maximum", [0, 0, 0, 0, -1, -2, -3, -4], [0, 0, -1, -2, -1, -2, -3, -4], [-1, -1] },
        { "minimum", [0, 0, 0, 0, 1, 2, 3, 4], [0, 0, 1, 2, 1, 2, 3, 4], [1, 1] },
    };

    public static TheoryData<string, int> ElementwiseCases { get; } = new()
    {
        { "add", 2 }, { "add", 3 }, { "subtract", 2 }, { "average", 3 }, { "multiply", 2 }, { "multiply", 3 },
        { "maximum", 2 }, { "maximum", 3 }, { "minimum", 2 }, { "minimum", 3 },
    };

    private static Merge Create(string kind) => kind switch
    {
        "add" => new Add(),
        "subtract" => new Subtract(),
        "multiply" => new Multiply(),
        "average" => new Average(),
        "maximum" => new Maximum(),
        "minimum" => new Minimum(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown merge."),
    };

    // Keras' Masking() on (1, 4, 2): the values (masked steps are zeros already) and the mask.
    private static (Tensor Values, Tensor Mask) Masked(float[] values, float sign)
    {
        var masking = new Masking();
        Tensor output = masking.Forward(Tensor.FromArray([.. values.Select(v => v * sign)], 1, 4, 2), training: false);
        return (output, masking.OutputMask!);
    }

    [Theory]
    [MemberData(nameof(KerasWithMaskCases))]
    public void Forward_KerasMergingTestWithMask_MatchesKerasValuesAndOrsTheMasks(string kind, float[] oneMasked, float[] bothMasked, float[] signs)
    {
        (Tensor x1, Tensor m1) = Masked(X1, signs[0]);
        (Tensor x2, Tensor m2) = Masked(X2, signs[1]);
        Assert.Equal([0f, 1, 0, 1], m1.ToArray());
        Merge layer = Create(kind);

        Assert.Equal(oneMasked, layer.Forward([x1, x2], [m1, null], training: false).ToArray());
        Assert.Null(layer.OutputMask);

        Assert.Equal(bothMasked, layer.Forward([x1, x2], [m1, m2], training: false).ToArray());
        Assert.Equal([0f, 1, 1, 1], layer.OutputMask!.ToArray());

        layer.Forward([x1, x2], [null, null], training: false);
        Assert.Null(layer.OutputMask);
    }

    [Theory]
    [MemberData(nameof(ElementwiseCases))]
    public void Forward_RandomMasks_EqualsKerasCodeBitForBit(string kind, int count)
    {
        const int Batch = 3, Steps = 4, Features = 5;
        Tensor[] inputs = [.. Enumerable.Range(0, count).Select(i => TestData.Normal(20 + i, 1f, Batch, Steps, Features))];
        foreach (Tensor?[] masks in MaskPatterns(count, Batch, Steps))
        {
            Merge layer = Create(kind);
            float[] y = layer.Forward(inputs, masks, training: false).ToArray();

            (float[] expected, float[]? expectedMask) = KerasMerge(kind, inputs, masks, Features);
            Assert.Equal(expected, y);
            Assert.Equal(expectedMask, layer.OutputMask?.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(ElementwiseCases))]
    public void Backward_RandomMasks_MatchesNumericalGradient(string kind, int count)
    {
        Tensor[] inputs = [.. Enumerable.Range(0, count).Select(i => TestData.Normal(40 + i, 1f, 3, 4, 5))];
        int pattern = 0;
        foreach (Tensor?[] masks in MaskPatterns(count, 3, 4))
        {
            GradientCheckReport report = MultiInputGradientChecker.CheckLayer(Create(kind), inputs, seed: 50 + pattern++, masks: masks);
            report.AssertPassed();
            Assert.Equal(60 * count, report.Checked);
        }
    }

    [Fact]
    public void Backward_MaskedMaximum_GradientGoesToTheInputWhoseValueTheOutputHolds()
    {
        var layer = new Maximum();
        Tensor a = Tensor.FromArray([5f, 1f, 2f, 7f], 1, 4, 1);
        Tensor b = Tensor.FromArray([6f, 3f, 0f, 9f], 1, 4, 1);
        Tensor c = Tensor.FromArray([4f, 8f, 1f, 8f], 1, 4, 1);
        Tensor ma = Tensor.FromArray([0f, 1, 1, 0], 1, 4), mb = Tensor.FromArray([0f, 0, 1, 1], 1, 4), mc = Tensor.FromArray([0f, 1, 0, 0], 1, 4);

        // Step 0 masked everywhere keeps a's value; step 1: max(a, c); step 2: max(a, b); step 3: only b is real.
        Assert.Equal([5f, 8f, 2f, 9f], layer.Forward([a, b, c], [ma, mb, mc], training: false).ToArray());
        Assert.Equal([0f, 1, 1, 1], layer.OutputMask!.ToArray());

        var slots = new Tensor?[3];
        layer.Backward(Tensor.FromArray([10f, 20f, 30f, 40f], 1, 4, 1), slots);
        Assert.Equal([10f, 0f, 30f, 0f], slots[0]!.ToArray());
        Assert.Equal([0f, 0f, 0f, 40f], slots[1]!.ToArray());
        Assert.Equal([0f, 20f, 0f, 0f], slots[2]!.ToArray());
    }

    [Fact]
    public void Forward_KerasConcatenateTestWithMask_JoinsTheMasks()
    {
        // merging_test.py test_concatenate_with_mask: only x1 is masked.
        (Tensor x1, Tensor m1) = Masked(X1, 1);
        Tensor x2 = Tensor.FromArray(X2, 1, 4, 2);

        var steps = new Concatenate(axis: 1);
        Assert.Equal([.. X1, .. X2], steps.Forward([x1, x2], [m1, null], training: false).ToArray());
        Assert.Equal([0f, 1, 0, 1, 1, 1, 1, 1], steps.OutputMask!.ToArray());

        var features = new Concatenate(axis: 2);
        Assert.Equal([0f, 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 2, 3, 4, 3, 4], features.Forward([x1, x2], [m1, null], training: false).ToArray());
        Assert.Equal([1f, 1, 1, 1], features.OutputMask!.ToArray());

        // Both masked, last axis: a step is real when it is real in either input. No mask at all: none.
        (Tensor y2, Tensor m2) = Masked(X2, 1);
        features.Forward([x1, y2], [m1, m2], training: false);
        Assert.Equal([0f, 1, 1, 1], features.OutputMask!.ToArray());
        features.Forward([x1, y2], training: false);
        Assert.Null(features.OutputMask);
        Assert.True(features.SupportsMasking);
    }

    [Fact]
    public void Forward_ConcatenateInnerAxisOfRankFourMasks_JoinsMaskRowsLikeValues()
    {
        // (2, 3, a_i, 2) joined on axis 2: masks (2, 3, a_i) joined on their axis 2, ones for the input without one.
        Tensor a = TestData.Normal(1, 1f, 2, 3, 2, 2), b = TestData.Normal(2, 1f, 2, 3, 1, 2), c = TestData.Normal(3, 1f, 2, 3, 3, 2);
        float[] ma = [1, 0, 0, 1, 1, 1, /**/ 0, 0, 1, 0, 0, 1];
        float[] mc = [0, 1, 0, 1, 1, 0, 0, 0, 1, /**/ 1, 1, 1, 0, 0, 0, 1, 0, 1];
        var layer = new Concatenate(axis: 2);

        layer.Forward([a, b, c], [Tensor.FromArray(ma, 2, 3, 2), null, Tensor.FromArray(mc, 2, 3, 3)], training: false);

        var expected = new List<float>();
        for (int row = 0; row < 6; row++)
        {
            expected.AddRange(ma.AsSpan(row * 2, 2).ToArray());
            expected.Add(1f);
            expected.AddRange(mc.AsSpan(row * 3, 3).ToArray());
        }

        Assert.Equal(new TensorShape(2, 3, 6), layer.OutputMask!.Shape);
        Assert.Equal(expected, layer.OutputMask.ToArray());
    }

    [Fact]
    public void Predict_TwoMaskedEmbeddingsAddedThenPooled_AveragesOverStepsRealInEither()
    {
        var left = new Input(new TensorShape(4), "left");
        var right = new Input(new TensorShape(4), "right");
        var embedding = new Embedding(6, 3, maskZero: true, name: "embedding");
        SymbolicTensor sum = new Add(name: "add").Call(embedding.Call(left), embedding.Call(right));
        var model = new Functional([left, right], [new GlobalAveragePooling1D().Call(sum)], seed: 4);
        Tensor l = Tensor.FromArray([1, 0, 0, 2, /**/ 0, 0, 0, 3], 2, 4), r = Tensor.FromArray([0, 4, 0, 5, /**/ 0, 0, 0, 0], 2, 4);

        float[] y = model.Predict(new[] { l, r }).ToArray();

        // Steps real in either input (Keras 3's OR; Keras 2's AND kept only step 3 of sample 0 and no step of sample 1).
        float[] table = embedding.Embeddings.Value.ToArray();
        float[] expected = new float[6];
        for (int s = 0; s < 2; s++)
        {
            int[] steps = s == 0 ? [0, 1, 3] : [3];
            for (int f = 0; f < 3; f++)
            {
                double total = steps.Sum(t => (double)table[((int)l[s, t] * 3) + f] + table[((int)r[s, t] * 3) + f]);
                expected[(s * 3) + f] = (float)(total / steps.Length);
            }
        }

        Assert.Equal(expected, y, new Tolerance(1e-6f));
    }

    [Theory]
    [InlineData("multiply")]
    [InlineData("maximum")]
    [InlineData("add")]
    [InlineData("concatenate")]
    public void ForwardBackward_WithMasks_AllocatesNothingAfterTheFirstBatch(string kind)
    {
        MultiInputLayer layer = kind == "concatenate" ? new Concatenate(axis: 1) : Create(kind);
        Tensor[] inputs = [TestData.Normal(1, 1f, 4, 5, 3), TestData.Normal(2, 1f, 4, 5, 3)];
        Tensor?[] masks = [Tensor.FromArray([.. Enumerable.Range(0, 20).Select(i => (float)(i % 3 == 0 ? 0 : 1))], 4, 5), Tensor.FromArray([.. Enumerable.Range(0, 20).Select(i => (float)(i % 2))], 4, 5)];
        Tensor upstream = TestData.Normal(3, 1f, [.. layer.Forward(inputs, masks, training: true).Shape.Dimensions]);
        var slots = new Tensor?[2];

        void Step()
        {
            layer.Forward(inputs, masks, training: true);
            layer.Backward(upstream, slots);
        }

        Step();
        AllocationCheck.AssertNone(Step);
    }

    // Mask patterns over `count` inputs: every input masked, and each input in turn left without a mask.
    private static IEnumerable<Tensor?[]> MaskPatterns(int count, int batch, int steps)
    {
        Tensor Pattern(int seed) => Tensor.FromArray([.. Enumerable.Range(0, batch * steps).Select(i => (float)(((i * 7) + (seed * 3)) % 5 < 3 ? 1 : 0))], batch, steps);

        yield return [.. Enumerable.Range(0, count).Select(Pattern)];
        for (int missing = 0; missing < count; missing++)
        {
            yield return [.. Enumerable.Range(0, count).Select(i => i == missing ? null : Pattern(i))];
        }
    }

    // Keras 3's code, transliterated element by element in float32 (masks broadcast over the last axis).
    private static (float[] Values, float[]? Mask) KerasMerge(string kind, Tensor[] inputs, Tensor?[] masks, int features)
    {
        int length = inputs[0].Length;
        bool? Real(int i, int e) => masks[i] is Tensor m ? m.AsReadOnlySpan()[e / features] != 0f : null;
        float X(int i, int e) => inputs[i].AsReadOnlySpan()[e];
        var values = new float[length];
        for (int e = 0; e < length; e++)
        {
            switch (kind)
            {
                case "add":
                    values[e] = Enumerable.Range(1, inputs.Length - 1).Aggregate(X(0, e), (sum, i) => sum + X(i, e));
                    break;
                case "subtract":
                    values[e] = X(0, e) - X(1, e);
                    break;
                case "average":
                    values[e] = Enumerable.Range(1, inputs.Length - 1).Aggregate(X(0, e), (sum, i) => sum + X(i, e)) / inputs.Length;
                    break;
                case "multiply":
                {
                    // multiply.py _merge_function.
                    bool hasOutputMask = masks.All(m => m is not null);
                    float? output = null;
                    bool? outputMask = null;
                    for (int i = 0; i < inputs.Length; i++)
                    {
                        float x = X(i, e);
                        if (Real(i, e) is bool mask)
                        {
                            x = mask ? x : 1f;
                            if (hasOutputMask)
                            {
                                outputMask = outputMask is bool o ? o || mask : mask;
                            }
                        }

                        output = output is float y ? y * x : x;
                    }

                    values[e] = hasOutputMask && outputMask == false ? 0f : output!.Value;
                    break;
                }

                default:
                {
                    // base_merge.py _apply_merge_op_and_or_mask with ops.maximum / ops.minimum.
                    Func<float, float, float> op = kind == "maximum" ? MathF.Max : MathF.Min;
                    float output = X(0, e);
                    bool? outputMask = Real(0, e);
                    for (int i = 1; i < inputs.Length; i++)
                    {
                        float x = X(i, e);
                        bool? mask = Real(i, e);
                        if (mask is bool m)
                        {
                            x = m ? x : output;
                        }

                        if (outputMask is bool om)
                        {
                            output = om ? output : x;
                        }

                        outputMask = mask is bool m2 && outputMask is bool om2 ? m2 || om2 : null;
                        output = op(output, x);
                    }

                    values[e] = output;
                    break;
                }
            }
        }

        // base_merge.py compute_mask: none when any mask is None, else the logical OR.
        if (masks.Any(m => m is null))
        {
            return (values, null);
        }

        float[] or = new float[masks[0]!.Length];
        for (int k = 0; k < or.Length; k++)
        {
            or[k] = masks.Any(m => m!.AsReadOnlySpan()[k] != 0f) ? 1f : 0f;
        }

        return (values, or);
    }
}
