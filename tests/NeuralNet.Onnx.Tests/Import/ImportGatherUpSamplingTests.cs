using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// Gather of a computed image by constant indices floor(o / k) along its height or width imports as UpSampling2D and
/// predicts what ONNX Runtime computes; every other Gather of a computed image is refused, saying what is wrong with it.
/// </summary>
public sealed class ImportGatherUpSamplingTests
{
    private static long[] Repeat(int length, int k, int offset = 0) => [.. Enumerable.Range(0, length * k).Select(o => (long)((o / k) + offset))];

    [Theory]
    [InlineData("height_x2", 2, 1)]
    [InlineData("width_x3_axis_minus_1", 1, 3)]
    [InlineData("negative_indices", 2, 1)]
    [InlineData("int32_indices", 1, 2)]
    public void GatherOfRepeatedRowsOrColumns_MatchesOnnxRuntime(string variant, int height, int width)
    {
        var g = new OnnxGraphs(31);
        string x = g.Input("image", -1, 3, 4, 5);
        string y = variant switch
        {
            "height_x2" => g.Node("Gather", [x, g.Integers(7, [8], Repeat(4, 2))], Int("axis", 2)),
            "width_x3_axis_minus_1" => g.Node("Gather", [x, g.Integers(7, [15], Repeat(5, 3))], Int("axis", -1)),
            // -4..-1 are rows 0..3, as ONNX Runtime reads them.
            "negative_indices" => g.Node("Gather", [x, g.Integers(7, [8], Repeat(4, 2, -4))], Int("axis", 2)),
            _ => g.Node("Gather", [x, g.Integers(6, [10], Repeat(5, 2))], Int("axis", 3)),
        };
        g.Output(g.Node("Relu", [y]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [2, 3, 4, 5]);

        Assert.Equal((height, width), Assert.Single(model.Layers.OfType<UpSampling2D>()).Size);
    }

    [Theory]
    [InlineData("channels_axis", "attribute axis=1 of 'image' [N, 3, 4, 5] is the channels axis, which UpSampling2D does not repeat", false)]
    [InlineData("batch_axis", "attribute axis=0 of 'image' [N, 3, 4, 5] is the batch axis, which UpSampling2D does not repeat", false)]
    [InlineData("indices_2d", "input 1 (indices) 'i0' has dimensions [2, 4], not 1-D", false)]
    [InlineData("tiled", "input 1 (indices) 'i0' takes index 1 at output 1 along axis 2, not floor(1 / 2) = 0", false)]
    [InlineData("not_a_multiple", "input 1 (indices) 'i0' holds 6 indices along axis 2 of length 4, not a whole multiple k · 4", false)]
    [InlineData("float_indices", "input 1 (indices) 'f0' has element type float, expected int32 or int64", true)]
    public void GatherOtherThanANearestRepeat_IsRefused_SayingWhatIsWrong(string variant, string expected, bool invalid)
    {
        var g = new OnnxGraphs(32);
        string x = g.Input("image", -1, 3, 4, 5);
        string y = variant switch
        {
            "channels_axis" => g.Node("Gather", [x, g.Integers(7, [6], Repeat(3, 2))], Int("axis", 1)),
            "batch_axis" => g.Node("Gather", [x, g.Integers(7, [2], 0, 0)], Int("axis", 0)),
            "indices_2d" => g.Node("Gather", [x, g.Integers(7, [2, 4], Repeat(4, 2))], Int("axis", 2)),
            "tiled" => g.Node("Gather", [x, g.Integers(7, [8], 0, 1, 2, 3, 0, 1, 2, 3)], Int("axis", 2)),
            "not_a_multiple" => g.Node("Gather", [x, g.Integers(7, [6], 0, 0, 1, 1, 2, 2)], Int("axis", 2)),
            // Before the check these were truncated to 0, 0, 1, 1, ...: an UpSampling2D ONNX Runtime would not run.
            _ => g.Node("Gather", [x, g.Floats([8], 0.2f, 0.7f, 1.2f, 1.7f, 2.2f, 2.7f, 3.2f, 3.7f)], Int("axis", 2)),
        };
        g.Output(y);

        Exception error = invalid
            ? Assert.Throws<InvalidDataException>(() => ImportChecks.Import(g.ToBytes()))
            : Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
        Assert.Contains($"node '{g.Graph.Node[^1].Name}' (Gather): {expected}", error.Message, StringComparison.Ordinal);
        if (!invalid)
        {
            Assert.Contains("NeuralNet.Onnx imports Gather of a computed tensor only as UpSampling2D's nearest repeat (indices floor(o / k) along the height or width (axis 2 or 3) of an (N, C, H, W) image)", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void BilinearBlendOfGathers_ImportsAsUpSampling2D_OnlyWhenBothGathersTakeTheSameAxis()
    {
        // ExportOnnx's bilinear form, Add(Mul(Gather(x, lower), 1 − t), Mul(Gather(x, upper), t)), rows ×2 of 4: the
        // Gathers' axis written as 2 and as −2 is one axis, and the chain is one bilinear UpSampling2D.
        var g = new OnnxGraphs(33);
        string x = g.Input("image", -1, 3, 4, 5);
        var (lower, upper, below, above) = BilinearTable(4, 2);
        string first = g.Node("Mul", [g.Node("Gather", [x, g.Integers(7, [8], lower)], Int("axis", 2)), g.Floats([8, 1], below)]);
        string second = g.Node("Mul", [g.Node("Gather", [x, g.Integers(7, [8], upper)], Int("axis", -2)), g.Floats([8, 1], above)]);
        g.Output(g.Node("Relu", [g.Node("Add", [first, second])]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [2, 3, 4, 5]);

        UpSampling2D up = Assert.Single(model.Layers.OfType<UpSampling2D>());
        Assert.Equal(((2, 1), Interpolation.Bilinear), (up.Size, up.Interpolation));

        // Rows of a 1-row image doubled (weights 1 and 0) blended with a Gather of its columns: a valid graph whose first
        // Gather and tables are the bilinear ones, but whose Gathers read different axes. The nodes import one by one (before,
        // the pair was taken as an UpSampling2D), and the column Gather is refused.
        var h = new OnnxGraphs(34);
        string y = h.Input("image", -1, 3, 1, 2);
        string columns = h.Node("Gather", [y, h.Integers(7, [2], 0, 0)], Int("axis", 3));
        string rows = h.Node("Gather", [y, h.Integers(7, [2], 0, 0)], Int("axis", 2));
        h.Output(h.Node("Add", [h.Node("Mul", [rows, h.Floats([2, 1], 1, 1)]), h.Node("Mul", [columns, h.Floats([2, 1], 0, 0)])]));

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(h.ToBytes()));
        Assert.Contains($"node '{h.Graph.Node[0].Name}' (Gather): input 1 (indices) '", error.Message, StringComparison.Ordinal);
        Assert.Contains("takes index 0 at output 1 along axis 3, not floor(1 / 1) = 1", error.Message, StringComparison.Ordinal);
    }

    // Keras' half-pixel bilinear table for `length` × `factor` (written out here, not taken from the importer): per output
    // the row at or below its sample, the next one (the same row where the sample is on it) and their weights 1 − t and t.
    private static (long[] Lower, long[] Upper, float[] Below, float[] Above) BilinearTable(int length, int factor)
    {
        int output = length * factor;
        long[] lower = new long[output], upper = new long[output];
        float[] below = new float[output], above = new float[output];
        for (int o = 0; o < output; o++)
        {
            double sample = Math.Clamp(((o + 0.5) / factor) - 0.5, 0, length - 1);
            lower[o] = (long)Math.Floor(sample);
            upper[o] = sample == lower[o] ? lower[o] : lower[o] + 1;
            above[o] = (float)(sample - lower[o]);
            below[o] = 1 - above[o];
        }

        return (lower, upper, below, above);
    }
}
