using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>Imports a hand-built graph and checks its predictions against ONNX Runtime's on the same (transposed) inputs.</summary>
internal static class ImportChecks
{
    /// <summary>The largest difference allowed, relative to the largest magnitude of ONNX Runtime's output (at least 1).</summary>
    public const double Tolerance = 1e-4;

    public static Functional Import(byte[] onnx) => OnnxImporter.Import(new MemoryStream(onnx), "test.onnx");

    /// <summary>Imports <paramref name="onnx"/>, runs both on seeded random inputs of <paramref name="dims"/> (ONNX's layout) and compares; returns the model.</summary>
    public static Functional AssertMatchesRuntime(byte[] onnx, string input, int[] dims, int seed = 7)
    {
        float[] values = [.. Tensor.RandomNormal(new TensorShape(dims), seed).AsReadOnlySpan().ToArray()];
        (float[] Values, int[] Dimensions)[] expected = OnnxGraphs.Run(onnx, input, values, dims);
        Functional model = Import(onnx);
        IReadOnlyList<Tensor> ours = model.PredictOutputs([ChannelsLast(values, dims)]);
        Assert.Equal(expected.Length, ours.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            (float[] wanted, int[] wantedDims) = ChannelsLastOutput(expected[i].Values, expected[i].Dimensions);
            Assert.Equal(wantedDims, ours[i].Shape.Dimensions.ToArray());
            AssertClose(wanted, ours[i].AsReadOnlySpan());
        }

        return model;
    }

    /// <summary>An ONNX (N, C, H, W) batch as the channels-last tensor the imported model takes; other ranks as they are.</summary>
    public static Tensor ChannelsLast(float[] values, int[] dims) =>
        dims.Length == 4 ? Tensor.FromArray(ToChannelsLast(values, dims), ChannelsLastDims(dims)) : Tensor.FromArray(values, dims);

    /// <summary>ONNX Runtime's output as the imported model gives it: an (N, C, H, W) one channels last.</summary>
    public static (float[] Values, int[] Dimensions) ChannelsLastOutput(float[] values, int[] dims) =>
        dims.Length == 4 ? (ToChannelsLast(values, dims), ChannelsLastDims(dims)) : (values, dims);

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1, worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
            worst = Math.Max(worst, Math.Abs((double)expected[i] - actual[i]));
        }

        Assert.True(worst <= Tolerance * scale, $"The imported model differs from ONNX Runtime by {worst:g3} (allowed {Tolerance * scale:g3}).");
    }

    private static int[] ChannelsLastDims(int[] d) => [d[0], d[2], d[3], d[1]];

    // Written out here rather than taken from the importer, so the test does not check the importer's transpose with itself.
    private static float[] ToChannelsLast(float[] nchw, int[] d)
    {
        (int n, int c, int h, int w) = (d[0], d[1], d[2], d[3]);
        var nhwc = new float[nchw.Length];
        for (int b = 0; b < n; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int y = 0; y < h; y++)
                {
                    for (int x = 0; x < w; x++)
                    {
                        nhwc[(((b * h) + y) * w + x) * c + ch] = nchw[(((b * c) + ch) * h + y) * w + x];
                    }
                }
            }
        }

        return nhwc;
    }
}
