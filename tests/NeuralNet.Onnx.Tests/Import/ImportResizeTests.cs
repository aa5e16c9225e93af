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
    public void Resize_MatchesOnnxRuntime(string variant, int opset, int height, int width, string expected)
    {
        var g = new OnnxGraphs(41);
        string x = g.Input("image", -1, 3, 4, 5);
        string conv = g.Node("Conv", [x, g.Weight([3, 3, 1, 1])]);
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
            _ => g.Node("Resize", [conv, "", g.Floats([2], 2, 2)], Ints("axes", 2, 3), Int("antialias", 1), String("mode", "linear")),
        };
        g.Output(g.Node("Relu", [y]));

        Functional model = ImportChecks.AssertMatchesRuntime(g.ToBytes(opset), "image", [2, 3, 4, 5]);

        Layer resize = Assert.Single(model.Layers, l => l is UpSampling2D or Resizing);
        string actual = resize switch
        {
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
            _ => Resize(g, conv, [1, 1, 2, 2], null, Int("exclude_outside", 1), String("mode", "linear")),
        };
        g.Output(y);

        var error = Assert.Throws<NotSupportedException>(() => ImportChecks.Import(g.ToBytes(variant == "antialias_shrink" ? 18 : 13)));
        Assert.Contains($"node '{g.Graph.Node[^1].Name}' (Resize): {expected}", error.Message, StringComparison.Ordinal);
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
