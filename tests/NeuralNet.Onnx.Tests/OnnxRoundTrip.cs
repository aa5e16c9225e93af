using Xunit;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Tests;

/// <summary>Exports a model, runs the file in ONNX Runtime on random inputs, and compares every output with Predict's.</summary>
internal static class OnnxRoundTrip
{
    /// <summary>The largest difference allowed, relative to the largest magnitude of the output Predict computes.</summary>
    public const double RelativeTolerance = 1e-5;

    /// <summary>The tokens 0 .. 9 that models with an IntegerLookup get: some in the cases' vocabularies, some not.</summary>
    public const int IntegerLookupTokens = 10;

    /// <summary>Gives every parameter random values (moving variances positive), so that no weight hides a wrong layout.</summary>
    public static T Randomized<T>(this T model, long seed = 11)
        where T : Model
    {
        var random = new Random((int)seed);
        foreach (Parameter parameter in model.Parameters)
        {
            Span<float> values = parameter.Value.AsSpan();
            bool variance = parameter.Name.Contains("variance", StringComparison.Ordinal);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = variance ? 0.5f + (float)random.NextDouble() : (float)((random.NextDouble() * 2) - 1) * 0.7f;
            }
        }

        return model;
    }

    /// <summary>Random inputs of <paramref name="batch"/> samples for every input of <paramref name="model"/>.</summary>
    /// <remarks>
    /// A model with an Embedding or a CategoryEncoding gets whole-number ids below the smallest vocabulary instead; one with
    /// an IntegerLookup whole numbers below <see cref="IntegerLookupTokens"/> (the cases' vocabularies hold some of them).
    /// A model with an Embedding that masks id 0 gets padded ids (see <see cref="Padded"/>). One with a Hashing or a
    /// HashedCrossing gets whole numbers of up to 7 digits, either sign (tokens Predict accepts).
    /// </remarks>
    public static Tensor[] RandomInputs(Model model, int batch, long seed = 5)
    {
        Layers.Layer[] layers = [.. model.Layers.Select(Unwrapped)];
        int? vocabulary = layers.OfType<Layers.Embedding>().Select(e => (int?)e.InputDim)
            .Concat(layers.OfType<Layers.ReversibleEmbedding>().Select(e => (int?)e.InputDim))
            .Concat(layers.OfType<Layers.CategoryEncoding>().Select(c => (int?)c.NumTokens))
            .Concat(layers.OfType<Layers.IntegerLookup>().Select(_ => (int?)IntegerLookupTokens)).Min();
        bool padded = layers.Any(MasksZero);
        bool hashed = layers.Any(l => l is Layers.Hashing or Layers.HashedCrossing);
        return [.. model.Inputs.Select((input, i) => vocabulary is int v
            ? Padded(Tensor.FromArray([.. Tensor.RandomUniform(input.Shape.Prepend(batch), seed + i, 0, v).ToArray().Select(MathF.Floor)], [batch, .. input.Shape.Dimensions]), padded ? i : null)
            : hashed
                ? Tensor.FromArray([.. Tensor.RandomNormal(input.Shape.Prepend(batch), seed + i).ToArray().Select(t => MathF.Floor(t * 1e6f))], [batch, .. input.Shape.Dimensions])
                : Tensor.RandomNormal(input.Shape.Prepend(batch), seed + i))];
    }

    /// <summary>
    /// Random ids padded as a padded batch is, for a model whose masks must be followed (random ids below a small vocabulary
    /// hold a 0 by chance only): sample b of input <paramref name="input"/> padded first (its first two ids 0), last, or all
    /// padding, by (b + input) mod 3, so that two inputs are padded differently; <paramref name="ids"/> itself when null.
    /// </summary>
    private static Tensor Padded(Tensor ids, int? input)
    {
        if (input is not int i)
        {
            return ids;
        }

        int batch = ids.Shape[0], length = ids.Length / batch;
        Span<float> values = ids.AsSpan();
        for (int b = 0; b < batch; b++)
        {
            Span<float> sample = values.Slice(b * length, length);
            switch ((b + i) % 3)
            {
                case 0:
                    sample[..Math.Min(2, length)].Clear();
                    break;
                case 1:
                    sample[Math.Max(0, length - 2)..].Clear();
                    break;
                default:
                    sample.Clear();
                    break;
            }
        }

        return ids;
    }

    /// <summary>Whether <paramref name="layer"/> is an Embedding that masks id 0, or wraps one.</summary>
    public static bool MasksZero(Layers.Layer layer) => Unwrapped(layer) is Layers.Embedding { MaskZero: true } or Layers.ReversibleEmbedding { MaskZero: true };

    // The layer a TimeDistributed or SpectralNormalization runs, through nested wrappers: an Embedding in one reads the model's ids.
    private static Layers.Layer Unwrapped(Layers.Layer layer) => layer switch
    {
        Layers.TimeDistributed wrapper => Unwrapped(wrapper.Layer),
        Layers.SpectralNormalization spectral => Unwrapped(spectral.Layer),
        _ => layer,
    };

    /// <summary>Runs <paramref name="onnx"/> in ONNX Runtime on <paramref name="inputs"/> fed by the model's input names.</summary>
    public static Dictionary<string, (float[] Values, int[] Dimensions)> RunOnnx(byte[] onnx, Model model, Tensor[] inputs)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(onnx, options);
        var feeds = new List<NamedOnnxValue>();
        for (int i = 0; i < inputs.Length; i++)
        {
            feeds.Add(NamedOnnxValue.CreateFromTensor(model.InputNames[i],
                new DenseTensor<float>(inputs[i].AsReadOnlySpan().ToArray(), inputs[i].Shape.Dimensions.ToArray())));
        }

        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(feeds);
        return results.ToDictionary(r => r.Name, r =>
        {
            Tensor<float> tensor = r.AsTensor<float>();
            return (tensor.ToArray(), tensor.Dimensions.ToArray());
        });
    }

    /// <summary>Exports, runs in ONNX Runtime and asserts every output matches Predict within <see cref="RelativeTolerance"/>; returns the file.</summary>
    public static byte[] AssertMatchesPredict(Model model, OnnxExportOptions? options = null, int batch = 3, long seed = 5)
    {
        byte[] onnx = model.ToOnnxBytes(options);
        Tensor[] inputs = RandomInputs(model, batch, seed);
        IReadOnlyList<Tensor> expected = model.PredictOutputs(inputs);
        Dictionary<string, (float[] Values, int[] Dimensions)> actual = RunOnnx(onnx, model, inputs);
        Assert.Equal(model.OutputNames.Count, actual.Count);
        for (int o = 0; o < expected.Count; o++)
        {
            string name = model.OutputNames[o];
            Assert.True(actual.ContainsKey(name), $"ONNX Runtime returned no output '{name}' (it returned {string.Join(", ", actual.Keys)}).");
            (float[] values, int[] dimensions) = actual[name];
            AssertSame(expected[o], values, dimensions, name);
        }

        return onnx;
    }

    /// <summary>
    /// Exports at the default, oldest and newest opsets, runs each file in ONNX Runtime on <paramref name="inputs"/> and asserts
    /// every output matches Predict's within <see cref="RelativeTolerance"/>, NaN exactly where Predict gives NaN; returns the
    /// first output at the default opset.
    /// </summary>
    public static float[] AssertMatchesPredictOn(Model model, params Tensor[] inputs)
    {
        IReadOnlyList<Tensor> expected = model.PredictOutputs(inputs);
        float[]? first = null;
        foreach (int opset in new[] { OnnxExporter.DefaultOpset, OnnxExporter.MinimumOpset, OnnxExporter.MaximumOpset })
        {
            Dictionary<string, (float[] Values, int[] Dimensions)> outputs = RunOnnx(model.ToOnnxBytes(new OnnxExportOptions { Opset = opset }), model, inputs);
            Assert.Equal(expected.Count, outputs.Count);
            for (int o = 0; o < expected.Count; o++)
            {
                string name = model.OutputNames[o];
                (float[] actual, int[] dimensions) = outputs[name];
                AssertSame(expected[o], actual, dimensions, $"{name} at opset {opset}");
                first ??= actual;
            }
        }

        return first!;
    }

    /// <summary>The same shape as <paramref name="expected"/>, NaN in the same places (a masked mean over all padding), other values within <see cref="AssertClose"/>.</summary>
    private static void AssertSame(Tensor expected, float[] actual, int[] dimensions, string what)
    {
        float[] wanted = expected.AsReadOnlySpan().ToArray();
        Assert.Equal(expected.Shape.Dimensions.ToArray(), dimensions);
        Assert.Equal(wanted.Select(float.IsNaN), actual.Select(float.IsNaN));
        AssertClose(wanted.Select(v => float.IsNaN(v) ? 0f : v).ToArray(), actual.Select(v => float.IsNaN(v) ? 0f : v).ToArray(), what);
    }

    /// <summary>max |actual − expected| ≤ <see cref="RelativeTolerance"/> · max |expected|.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0, difference = 0;
        int worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
            double d = Math.Abs((double)actual[i] - expected[i]);
            if (!(d <= difference))
            {
                difference = d;
                worst = i;
            }
        }

        Assert.True(difference <= RelativeTolerance * Math.Max(scale, 1e-30),
            $"Output '{what}': ONNX Runtime differs from Predict by {difference:g3} at element {worst} ({actual[worst]:g9} instead of {expected[worst]:g9}); allowed {RelativeTolerance:g1} x {scale:g3}.");
    }
}
