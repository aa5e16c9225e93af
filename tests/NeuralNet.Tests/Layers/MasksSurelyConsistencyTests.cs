using System.Reflection;
using NeuralNet.Activations;
using NeuralNet.Layers;
using Xunit;

namespace NeuralNet.Tests.Layers;

/// <summary>
/// <see cref="Layer.MasksSurely"/> (judged before any pass, so that the trainer refuses a loss that takes no mask early)
/// must never claim a mask that the pass does not produce: for every library layer type that makes, passes or consumes
/// masks, one masked pass for each way its inputs can carry masks, asserting "surely masked => mask present". A new
/// masking layer type fails <see cref="Cases_CoverEveryLayerTypeThatTouchesMasks"/> until it is listed here.
/// </summary>
public class MasksSurelyConsistencyTests
{
    // Each case: the layer (new per call) and the per-sample shape of each input; inputs are float (batch 2) unless ids.
    private static readonly (string Name, Func<Layer> Make, int[][] Shapes, bool Ids)[] Cases =
    [
        ("Activation", () => new Activation(ActivationFunction.Tanh), [[4, 3]], false),
        ("ELU", () => new ELU(), [[4, 3]], false),
        ("LeakyReLU", () => new LeakyReLU(), [[4, 3]], false),
        ("PReLU", () => new PReLU(), [[4, 3]], false),
        ("ReLU", () => new ReLU(), [[4, 3]], false),
        ("ActivityRegularization", () => new ActivityRegularization(l1: 0.1), [[4, 3]], false),
        ("Attention", () => new global::NeuralNet.Layers.Attention(), [[4, 3], [4, 3]], false),
        ("AdditiveAttention", () => new AdditiveAttention(), [[4, 3], [4, 3]], false),
        ("MultiHeadAttention", () => new MultiHeadAttention(2, 2), [[4, 3], [4, 3]], false),
        ("GroupedQueryAttention", () => new GroupedQueryAttention(2, 2, 1), [[4, 3], [4, 3]], false),
        ("BatchNormalization", () => new BatchNormalization(), [[4, 3]], false),
        ("Dense", () => new Dense(2), [[4, 3]], false),
        ("Dropout", () => new Dropout(0.5, seed: 1), [[4, 3]], false),
        ("GlobalAveragePooling1D", () => new GlobalAveragePooling1D(), [[4, 3]], false),
        ("Masking", () => new Masking(), [[4, 3]], false),
        ("Concatenate", () => new Concatenate(), [[4, 3], [4, 2]], false),
        ("Add", () => new Add(), [[4, 3], [4, 3]], false),
        ("Average", () => new Average(), [[4, 3], [4, 3]], false),
        ("Maximum", () => new Maximum(), [[4, 3], [4, 3]], false),
        ("Minimum", () => new Minimum(), [[4, 3], [4, 3]], false),
        ("Multiply", () => new Multiply(), [[4, 3], [4, 3]], false),
        ("Subtract", () => new Subtract(), [[4, 3], [4, 3]], false),
        ("Divide", () => new Divide(), [[4, 3], [4, 3]], false),
        ("Where", () => new Where(), [[4, 3], [4, 3], [4, 3]], false),
        ("Where of a number", () => new Where(null, -1e9f), [[4, 3], [4, 3]], false),
        ("Comparison", () => new Comparison(ComparisonOperator.Greater), [[4, 3], [4, 3]], false),
        ("Comparison with a number", () => new Comparison(ComparisonOperator.Less, 0.5f), [[4, 3]], false),
        ("AlphaDropout", () => new AlphaDropout(0.5, seed: 1), [[4, 3]], false),
        ("GaussianDropout", () => new GaussianDropout(0.5, seed: 1), [[4, 3]], false),
        ("GaussianNoise", () => new GaussianNoise(0.5, seed: 1), [[4, 3]], false),
        ("SpatialDropout1D", () => new SpatialDropout1D(0.5, seed: 1), [[4, 3]], false),
        ("SpatialDropout2D", () => new SpatialDropout2D(0.5, seed: 1), [[4, 2, 3]], false),
        ("SpatialDropout3D", () => new SpatialDropout3D(0.5, seed: 1), [[4, 2, 2, 3]], false),
        ("GroupNormalization", () => new GroupNormalization(groups: 3), [[4, 3]], false),
        ("LayerNormalization", () => new LayerNormalization(), [[4, 3]], false),
        ("UnitNormalization", () => new UnitNormalization(), [[4, 3]], false),
        ("Normalization", () => new global::NeuralNet.Layers.Normalization(mean: [0f, 1f, 2f], variance: [1f, 2f, 3f]), [[4, 3]], false),
        ("Rescaling", () => new Rescaling(0.5f), [[4, 3]], false),
        ("Lstm (sequences)", () => new Lstm(2, returnSequences: true), [[4, 3]], false),
        ("Lstm (last)", () => new Lstm(2), [[4, 3]], false),
        ("Gru (sequences)", () => new Gru(2, returnSequences: true), [[4, 3]], false),
        ("Gru (last)", () => new Gru(2), [[4, 3]], false),
        ("SimpleRnn (sequences)", () => new SimpleRnn(2, returnSequences: true), [[4, 3]], false),
        ("SimpleRnn (last)", () => new SimpleRnn(2), [[4, 3]], false),
        ("Rnn (sequences)", () => new Rnn(new LstmCell(2), returnSequences: true), [[4, 3]], false),
        ("Rnn (last)", () => new Rnn(new GruCell(2)), [[4, 3]], false),
        ("Bidirectional (sequences)", () => new Bidirectional(new Lstm(2, returnSequences: true)), [[4, 3]], false),
        ("Bidirectional (last)", () => new Bidirectional(new Lstm(2)), [[4, 3]], false),
        ("Bidirectional (two outputs)", () => new Bidirectional(new Gru(2, returnSequences: true), BidirectionalMergeMode.None), [[4, 3]], false),
        ("Identity", () => new Identity(), [[4, 3]], false),
        ("TimeDistributed", () => new TimeDistributed(new Dense(2)), [[4, 3]], false),
        ("Pipeline", () => new Pipeline([new Dense(2), new Dropout(0.5, seed: 1)]), [[4, 3]], false),
        ("Pipeline (makes one)", () => new Pipeline([new Masking(), new Dense(2)]), [[4, 3]], false),
        ("Pipeline (drops it)", () => new Pipeline([new Dense(2), new Flatten()]), [[4, 3]], false),
        ("Embedding (maskZero)", () => new Embedding(5, 3, maskZero: true), [[4]], true),
        ("Embedding", () => new Embedding(5, 3), [[4]], true),
        ("ReversibleEmbedding (maskZero)", () => new ReversibleEmbedding(5, 3, maskZero: true), [[4]], true),
    ];

    public static TheoryData<string> CaseNames => [.. Cases.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Forward_EveryWayTheInputsCarryMasks_SurelyMaskedImpliesAMask(string name)
    {
        (_, Func<Layer> make, int[][] shapes, bool ids) = Cases.Single(c => c.Name == name);

        // Every subset of the inputs masked (ids have no mask of their own: their mask would be per sample).
        int subsets = ids ? 1 : 1 << shapes.Length;
        for (int subset = 0; subset < subsets; subset++)
        {
            Layer layer = make();
            var inputs = new Tensor[shapes.Length];
            var masks = new Tensor?[shapes.Length];
            var flags = new bool[shapes.Length];
            for (int i = 0; i < shapes.Length; i++)
            {
                inputs[i] = Input(shapes[i], ids, seed: i);
                flags[i] = (subset & (1 << i)) != 0;
                masks[i] = flags[i] ? Mask(inputs[i].Shape) : null;
            }

            layer.Forward(inputs, masks, training: false);

            for (int k = 0; k < 2; k++)
            {
                if (layer.MasksSurelyAt(k, flags))
                {
                    Assert.True(layer.OutputMaskAt(k) is not null, $"{name}: MasksSurelyAt({k}) with inputs masked [{string.Join(", ", flags)}] but the pass made no mask.");
                }
            }
        }
    }

    [Fact]
    public void Forward_TheSourcesAndPassThroughLayers_AreSurelyMasked()
    {
        // The early refusal needs these to answer true: Keras knows their masks before any call.
        Assert.True(new Masking().MasksSurely([false]));
        Assert.True(new Embedding(5, 3, maskZero: true).MasksSurely([false]));
        Assert.True(new Dense(2).MasksSurely([true]));
        Assert.True(new Lstm(2, returnSequences: true).MasksSurely([true]));
        Assert.False(new Lstm(2).MasksSurely([true]));
        Assert.False(new TimeDistributed(new Dense(2)).MasksSurely([true]));
    }

    [Fact]
    public void Cases_CoverEveryLayerTypeThatTouchesMasks()
    {
        // A type declaring SupportsMasking, ComputeMask or MasksSurely (itself or below Layer) must be listed above.
        Type[] listed = [.. Cases.Select(c => c.Make().GetType())];
        const BindingFlags declared = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        string[] missing = [.. typeof(Layer).Assembly.GetExportedTypes()
            .Where(t => t.IsSubclassOf(typeof(Layer)) && !t.IsAbstract && !listed.Contains(t))
            .Where(t => Ancestors(t).Any(a => a.GetMember(nameof(Layer.SupportsMasking), declared).Length > 0
                || a.GetMember("ComputeMask", declared).Length > 0 || a.GetMember(nameof(Layer.MasksSurely), declared).Length > 0))
            .Select(t => t.Name)];
        Assert.Empty(missing);
    }

    private static IEnumerable<Type> Ancestors(Type type)
    {
        for (Type? t = type; t is not null && t != typeof(Layer); t = t.BaseType)
        {
            yield return t;
        }
    }

    // Values in (-1, 1), or ids in [0, 5) with some zeros (Embedding's padding).
    private static Tensor Input(int[] shape, bool ids, int seed)
    {
        var tensor = new Tensor(new TensorShape([2, .. shape]));
        var random = new Random(seed + 1);
        Span<float> v = tensor.AsSpan();
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = ids ? (i % 3 == 2 ? 0f : 1 + random.Next(4)) : (float)((random.NextDouble() * 2) - 1);
        }

        return tensor;
    }

    // The input's shape without the last axis: every position real except the first.
    private static Tensor Mask(TensorShape shape)
    {
        var mask = new Tensor(new TensorShape(shape.Dimensions[..^1].ToArray()));
        mask.AsSpan().Fill(1f);
        mask.AsSpan()[0] = 0f;
        return mask;
    }
}
