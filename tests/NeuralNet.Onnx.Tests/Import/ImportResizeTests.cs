using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;
using Xunit;
using static NeuralNet.Onnx.Tests.Import.OnnxGraphs;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// Resize as torch.onnx writes nn.Upsample and F.interpolate (nearest: asymmetric and floor; bilinear: pytorch_half_pixel;
/// sizes from Shape arithmetic), and as other writers do (half_pixel, opset 18's axes), imports as UpSampling2D or Resizing
/// and predicts what ONNX Runtime computes; forms Keras' layers do not sample (align_corners, scales that are not the
/// ratio of the lengths, cubic, antialiased shrinking, ...) are refused naming the attribute and its value.
/// </summary>
public sealed class ImportResizeTests
{
    // Resize(x, roi, scales or sizes) with the attributes given; sizes (height, width) come from Shape arithmetic as
    // torch.onnx writes F.interpolate(size=...): Shape, Slice of (N, C), Concat with the constant lengths.
    private static string Resize(OnnxGraphs g, string x, float[]? scales, long[]? sizes, params AttributeProto[] attributes)
    {
        string roi = g.Floats([0]);
        string scaleInput = scales is null ? g.Floats([0]) : g.Floats([scales.Length], scales);
        string[] inputs = [x, roi, scaleInput];
        if (sizes is not null)
        {
            string batchAndChannels = g.Node("Slice", [g.Node("Shape", [x]), g.Int64s(0), g.Int64s(2), g.Int64s(0)]);
            inputs = [.. inputs, g.Node("Concat", [batchAndChannels, g.Int64s(sizes)], Int("axis", 0))];
        }

        return g.Node("Resize", inputs, attributes);
    }

    [Theory]
    // nn.Upsample(scale_factor=2): nearest, asymmetric, floor (PyTorch also writes cubic_coeff_a=-0.75).
    [InlineData("torch_nearest", 11, 8, 10, "UpSampling2D (2, 2) Nearest")]
    // nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False): pytorch_half_pixel.
    [InlineData("torch_bilinear", 17, 8, 10, "UpSampling2D (2, 2) Bilinear")]
    // F.interpolate(x, size=(6, 7), mode='bilinear'): sizes, not whole factors.
    [InlineData("torch_bilinear_sizes", 13, 6, 7, "Resizing (6, 7) Bilinear")]
    // F.interpolate(x, size=(2, 3), mode='bilinear'): shrinking without antialiasing.
    [InlineData("torch_bilinear_shrink", 13, 2, 3, "Resizing (2, 3) Bilinear")]
    // half_pixel (Resize's default) with per-axis whole factors, opset 11's required roi and scales inputs.
    [InlineData("half_pixel_3x2", 11, 12, 10, "UpSampling2D (3, 2) Bilinear")]
    // Nearest, half_pixel, round_prefer_ceil: TensorFlow's nearest, floor((o + 0.5) · in / out), for any lengths.
    [InlineData("nearest_prefer_ceil_sizes", 13, 6, 7, "Resizing (6, 7) Nearest")]
    // Opset 18: scales of axes [2, 3] only; antialias does not change upsampling.
    [InlineData("opset18_axes_antialias", 18, 8, 10, "UpSampling2D (2, 2) Bilinear")]
    // Opset 19's half_pixel_symmetric, linear, where the scale is output / input (its offset is then 0).
    [InlineData("half_pixel_symmetric_linear", 19, 6, 7, "Resizing (6, 7) Bilinear")]
    // tf_half_pixel_for_nn with floor: floor((o + 0.5) / scale), Keras' nearest.
    [InlineData("tf_half_pixel_for_nn_floor_sizes", 13, 6, 7, "Resizing (6, 7) Nearest")]
    // Scales that are not whole but equal output / input: 1.5 · 4 = 6 rows, 1.4 · 5 = 7 columns.
    [InlineData("scales_equal_to_the_ratio", 13, 6, 7, "Resizing (6, 7) Bilinear")]
    // Channels last in ONNX: Transpose, Resize of axes 1 and 2 (scales [1, 2, 3, 1]), Transpose back.
    [InlineData("channels_last", 13, 8, 15, "UpSampling2D (2, 3) Bilinear")]
    // Half-pixel bilinear down to one row: the row samples position (0.5) · 4 − 0.5 = 1.5, as Keras'.
    [InlineData("half_pixel_to_one_row", 13, 1, 3, "Resizing (1, 3) Bilinear")]
    // Nearest round_prefer_ceil shrinking 4 × 5 to 3 × 2.
    [InlineData("nearest_prefer_ceil_shrinking", 13, 3, 2, "Resizing (3, 2) Nearest")]
    // Linear shrinking by scales 0.5 and 0.6 (4 × 5 to 2 × 3; no antialias).
    [InlineData("linear_shrinking_scales", 13, 2, 3, "Resizing (2, 3) Bilinear")]
    // Unchanged lengths: no layer. ONNX Runtime applies no coordinate transformation on an axis of scale 1, so even
    // align_corners and tf_half_pixel_for_nn (whose position o + 0.5 would read the next row) compute the identity.
    [InlineData("unchanged_align_corners", 13, 4, 5, "nothing")]
    [InlineData("unchanged_tf_half_pixel_for_nn_linear", 13, 4, 5, "nothing")]
    [InlineData("unchanged_tf_half_pixel_for_nn_ceil", 13, 4, 5, "nothing")]
    public void Resize_MatchesOnnxRuntime(string variant, int opset, int height, int width, string expected)
    {
        var g = new OnnxGraphs(41);
        string x = g.Input("image", -1, 3, 4, 5);
        string conv = g.Node("Conv", [x, g.Weight([3, 3, 1, 1])]);
        AttributeProto linear = String("mode", "linear"), tfHalfPixel = String("coordinate_transformation_mode", "tf_half_pixel_for_nn");
        string y = variant switch
        {
            "torch_nearest" => Resize(g, conv, [1, 1, 2, 2], null, String("coordinate_transformation_mode", "asymmetric"), Float("cubic_coeff_a", -0.75f),
                String("mode", "nearest"), String("nearest_mode", "floor")),
            "torch_bilinear" => Resize(g, conv, [1, 1, 2, 2], null, String("coordinate_transformation_mode", "pytorch_half_pixel"), Float("cubic_coeff_a", -0.75f),
                String("mode", "linear"), String("nearest_mode", "floor")),
            "torch_bilinear_sizes" => Resize(g, conv, null, [6, 7], String("coordinate_transformation_mode", "pytorch_half_pixel"), String("mode", "linear")),
            "torch_bilinear_shrink" => Resize(g, conv, null, [2, 3], String("coordinate_transformation_mode", "pytorch_half_pixel"), String("mode", "linear")),
            "half_pixel_3x2" => Resize(g, conv, [1, 1, 3, 2], null, String("mode", "linear")),
            "nearest_prefer_ceil_sizes" => Resize(g, conv, null, [6, 7], String("nearest_mode", "round_prefer_ceil")),
            "opset18_axes_antialias" => g.Node("Resize", [conv, "", g.Floats([2], 2, 2)], Ints("axes", 2, 3), Int("antialias", 1), linear),
            "half_pixel_symmetric_linear" => Resize(g, conv, null, [6, 7], String("coordinate_transformation_mode", "half_pixel_symmetric"), linear),
            "tf_half_pixel_for_nn_floor_sizes" => Resize(g, conv, null, [6, 7], tfHalfPixel, String("nearest_mode", "floor")),
            "scales_equal_to_the_ratio" => Resize(g, conv, [1, 1, 1.5f, 1.4f], null, linear),
            "channels_last" => g.Node("Transpose", [Resize(g, g.Node("Transpose", [conv], Ints("perm", 0, 2, 3, 1)), [1, 2, 3, 1], null, linear)], Ints("perm", 0, 3, 1, 2)),
            "half_pixel_to_one_row" => Resize(g, conv, null, [1, 3], linear),
            "nearest_prefer_ceil_shrinking" => Resize(g, conv, null, [3, 2], String("nearest_mode", "round_prefer_ceil")),
            "linear_shrinking_scales" => Resize(g, conv, [1, 1, 0.5f, 0.6f], null, linear),
            "unchanged_align_corners" => Resize(g, conv, [1, 1, 1, 1], null, String("coordinate_transformation_mode", "align_corners"), linear),
            "unchanged_tf_half_pixel_for_nn_linear" => Resize(g, conv, [1, 1, 1, 1], null, tfHalfPixel, linear),
            _ => Resize(g, conv, [1, 1, 1, 1], null, tfHalfPixel, String("nearest_mode", "ceil")),
        };
        g.Output(g.Node("Relu", [y]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset), "image", [2, 3, 4, 5]);

        Layer? resize = model.Layers.SingleOrDefault(l => l is UpSampling2D or Resizing);
        string actual = resize switch
        {
            null => "nothing",
            UpSampling2D u => $"UpSampling2D {u.Size} {u.Interpolation}",
            Resizing r => $"Resizing ({r.Height}, {r.Width}) {r.Interpolation}",
            _ => resize.GetType().Name,
        };
        Assert.Equal(expected, actual);
        Assert.Equal([height, width, 3], model.Outputs[0].Shape.Dimensions.ToArray());
    }

    [Fact]
    public void ResizeBySizesHoldingTheFixedBatch_MatchesOnnxRuntime()
    {
        // Exported without dynamic axes, F.interpolate(size=(6, 7)) folds to constant sizes [2, 3, 6, 7]: the batch entry is
        // the inputs' fixed batch length, any other is refused.
        foreach (long batch in new long[] { 2, 3 })
        {
            var g = new OnnxGraphs(49);
            string x = g.Input("image", 2, 3, 4, 5);
            g.Output(g.Node("Resize", [x, "", "", g.Int64s(batch, 3, 6, 7)], String("coordinate_transformation_mode", "pytorch_half_pixel"), String("mode", "linear")));
            if (batch == 2)
            {
                Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(), "image", [2, 3, 4, 5]);
                Resizing resizing = Assert.Single(model.Layers.OfType<Resizing>());
                Assert.Equal((6, 7), (resizing.Height, resizing.Width));
            }
            else
            {
                var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes()));
                Assert.Contains("(Resize): input sizes holds 3 for the batch axis; NeuralNet.Onnx imports Resize of each sample (the batch length read by a Shape, or the inputs' fixed batch length 2)", error.Message, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("align_corners", "attribute coordinate_transformation_mode='align_corners' with scale 2 on axis 2 (4 -> 8) samples input position 0.4286 for output 1, where NeuralNet's UpSampling2D and Resizing (Keras' bilinear, half-pixel centers: (o + 0.5) · 4 / 8 − 0.5) sample 0.25")]
    [InlineData("asymmetric_linear", "attribute coordinate_transformation_mode='asymmetric' with scale 2 on axis 2 (4 -> 8) samples input position 0.5 for output 1, where NeuralNet's UpSampling2D and Resizing (Keras' bilinear, half-pixel centers: (o + 0.5) · 4 / 8 − 0.5) sample 0.25")]
    [InlineData("scale_not_ratio", "attribute coordinate_transformation_mode='half_pixel' with scale 1.5 on axis 3 (5 -> 7) samples input position 0.5 for output 1, where NeuralNet's UpSampling2D and Resizing (Keras' bilinear, half-pixel centers: (o + 0.5) · 5 / 7 − 0.5) sample 0.5714")]
    [InlineData("nearest_asymmetric_ceil", "attribute coordinate_transformation_mode='asymmetric' with nearest_mode='round_prefer_ceil' and scale 2 on axis 2 (4 -> 8) reads input 1 for output 1, where NeuralNet's UpSampling2D and Resizing (Keras' nearest: floor((o + 0.5) · 4 / 8)) read 0")]
    [InlineData("nearest_half_pixel_floor", "attribute coordinate_transformation_mode='half_pixel' with nearest_mode='floor' and scale 2 on axis 2 (4 -> 8) reads input 0 for output 2, where NeuralNet's UpSampling2D and Resizing (Keras' nearest: floor((o + 0.5) · 4 / 8)) read 1")]
    [InlineData("cubic", "attribute mode='cubic'; ONNX's cubic (Keys' kernel on the exact fraction) differs from Keras' bicubic")]
    [InlineData("crop_and_resize", "attribute coordinate_transformation_mode='tf_crop_and_resize' (a crop by roi)")]
    [InlineData("channels", "it resizes the channels axis (axis 1) of 't1' [N, 3, 4, 5] by scale 2; NeuralNet.Onnx imports Resize of an image's height and width (axes 2 and 3)")]
    [InlineData("antialias_shrink", "attribute antialias=1 while shrinking [N, 3, 4, 5] to [N, 3, 2, 3]")]
    [InlineData("exclude_outside", "attribute exclude_outside=1; NeuralNet.Onnx imports Resize with exclude_outside=0")]
    // PyTorch's bilinear to one row samples row 0 (pytorch_half_pixel's special case), Keras the middle, 1.5.
    [InlineData("pytorch_half_pixel_to_one_row", "attribute coordinate_transformation_mode='pytorch_half_pixel' with scale 0.25 on axis 2 (4 -> 1) samples input position 0 for output 0, where NeuralNet's UpSampling2D and Resizing (Keras' bilinear, half-pixel centers: (o + 0.5) · 4 / 1 − 0.5) sample 1.5")]
    public void ResizeKerasDoesNotSample_IsRefused_NamingTheAttribute(string variant, string expected)
    {
        var g = new OnnxGraphs(42);
        string x = g.Input("image", -1, 3, 4, 5);
        string conv = g.Node("Conv", [x, g.Weight([3, 3, 1, 1])]);
        string y = variant switch
        {
            "align_corners" => Resize(g, conv, [1, 1, 2, 2], null, String("coordinate_transformation_mode", "align_corners"), String("mode", "linear")),
            "asymmetric_linear" => Resize(g, conv, [1, 1, 2, 2], null, String("coordinate_transformation_mode", "asymmetric"), String("mode", "linear")),
            "scale_not_ratio" => Resize(g, conv, [1, 1, 1, 1.5f], null, String("mode", "linear")),
            "nearest_asymmetric_ceil" => Resize(g, conv, [1, 1, 2, 2], null, String("coordinate_transformation_mode", "asymmetric"), String("nearest_mode", "round_prefer_ceil")),
            "nearest_half_pixel_floor" => Resize(g, conv, [1, 1, 2, 2], null, String("nearest_mode", "floor")),
            "cubic" => Resize(g, conv, [1, 1, 2, 2], null, String("mode", "cubic")),
            "crop_and_resize" => Resize(g, conv, [1, 1, 2, 2], null, String("coordinate_transformation_mode", "tf_crop_and_resize")),
            "channels" => Resize(g, conv, [1, 2, 2, 2], null),
            "antialias_shrink" => Resize(g, conv, null, [2, 3], Int("antialias", 1), String("mode", "linear")),
            "pytorch_half_pixel_to_one_row" => Resize(g, conv, null, [1, 3], String("coordinate_transformation_mode", "pytorch_half_pixel"), String("mode", "linear")),
            _ => Resize(g, conv, [1, 1, 2, 2], null, Int("exclude_outside", 1), String("mode", "linear")),
        };
        g.Output(y);

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(variant == "antialias_shrink" ? 18 : 13)));
        Assert.Contains($"node '{g.Graph.Node[^1].Name}' (Resize): {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NearestResizeWithAntialias_WhichOnnxRuntimeDoesNotLoad_IsRefused()
    {
        var g = new OnnxGraphs(50);
        string x = g.Input("image", -1, 3, 4, 5);
        g.Output(Resize(g, x, null, [6, 7], String("nearest_mode", "round_prefer_ceil"), Int("antialias", 1)));
        byte[] onnx = g.ToBytes(18);

        // The premise: ONNX Runtime refuses the file ("when anti-aliasing is set, Resize only supports mode LINEAR and CUBIC").
        var runtime = Assert.ThrowsAny<Exception>(() => OnnxGraphs.Run(onnx, "image", new float[2 * 3 * 4 * 5], [2, 3, 4, 5]));
        Assert.Contains("anti-aliasing", runtime.Message, StringComparison.Ordinal);
        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(onnx));
        Assert.Contains($"node '{g.Graph.Node[^1].Name}' (Resize): attribute antialias=1 with mode='nearest', which ONNX Runtime does not load (it antialiases linear and cubic only); NeuralNet.Onnx imports nearest Resize with antialias=0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HalfPixelSymmetricNearest_ReadsTheRowsOnnxRuntimeReads()
    {
        // 3 rows to 1 with half_pixel_symmetric and floor: ONNX Runtime adds the offset in double and rounds once, giving
        // 0.99999994 and row 0, where Keras reads row floor(0.5 · 3) = 1; float32 throughout would give 1.0 and import it.
        var g = new OnnxGraphs(51);
        string x = g.Input("image", -1, 2, 3, 6);
        g.Output(g.Node("Resize", [x, "", "", g.Int64s(1, 6)], Ints("axes", 2, 3), String("coordinate_transformation_mode", "half_pixel_symmetric"), String("nearest_mode", "floor")));
        byte[] onnx = g.ToBytes(19);
        float[] values = [.. Enumerable.Range(0, 2 * 2 * 3 * 6).Select(i => (float)i)];

        (float[] output, int[] dims) = OnnxGraphs.Run(onnx, "image", values, [2, 2, 3, 6])[0];
        Assert.Equal([2, 2, 1, 6], dims);
        for (int image = 0; image < 4; image++)
        {
            Assert.Equal(values.AsSpan(image * 18, 6).ToArray(), output.AsSpan(image * 6, 6).ToArray());
        }

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(onnx));
        Assert.Contains("with nearest_mode='floor' and scale 0.33333334 on axis 2 (3 -> 1) reads input 0 for output 0, where NeuralNet's UpSampling2D and Resizing (Keras' nearest: floor((o + 0.5) · 3 / 1)) read 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExportedBilinearAndNearestUpSampling_ImportedBack_PredictTheSame()
    {
        // ExportOnnx writes UpSampling2D as Gathers (nearest) and Gathers blended by Mul and Add (bilinear), on a
        // channels-last input (no Transpose before it) and on a channels-first image after a Conv2D.
        var image = new Input(new TensorShape(5, 4, 3), name: "image");
        SymbolicTensor a = new UpSampling2D((3, 2), Interpolation.Bilinear).Call(image);
        SymbolicTensor b = new UpSampling2D(2, Interpolation.Bilinear).Call(new Conv2D(3, 3, padding: Padding.Same).Call(a));
        var original = new Functional([image], [new UpSampling2D((1, 2)).Call(b)], seed: 4).Randomized();
        Functional imported = ImportChecks.Import(original.ToOnnxBytes());
        Tensor images = Tensor.RandomNormal(new TensorShape(2, 5, 4, 3), 5);

        ImportChecks.AssertClose(original.PredictOutputs([images])[0].AsReadOnlySpan(), imported.PredictOutputs([images])[0].AsReadOnlySpan());
        Assert.Equal(
            [((3, 1), Interpolation.Bilinear), ((1, 2), Interpolation.Bilinear), ((2, 1), Interpolation.Bilinear), ((1, 2), Interpolation.Bilinear), ((1, 2), Interpolation.Nearest)],
            imported.Layers.OfType<UpSampling2D>().Select(u => (u.Size, u.Interpolation)));
    }
}
