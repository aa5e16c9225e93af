using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;

namespace NeuralNet.Onnx.Tests;

/// <summary>
/// What the padding, cropping, upsampling, normalization, PReLU and depthwise / transposed convolution layers become in the
/// file and how export refuses what it cannot write, beside their round trips in <see cref="ExportCases"/>.
/// </summary>
public sealed class NewLayerExportTests(ITestOutputHelper output)
{
    [Fact]
    public void Padding_is_one_pad_and_cropping_one_slice_of_both_axes_in_the_values_layout()
    {
        GraphProto padded = Graph([6, 5, 3], new ZeroPadding2D(((1, 2), (3, 0)), name: "pad"));
        Assert.Equal(["Pad"], padded.Node.Select(n => n.OpType));
        Assert.Equal([0L, 1, 3, 0, 0, 2, 0, 0], Int64s(padded, "pad/pads"));

        // After a convolution the image is channels first: rows are axis 2, columns axis 3.
        GraphProto cropped = Graph([6, 5, 3], new Conv2D(2, 1), new Cropping2D(((1, 2), (0, 1)), name: "crop"));
        Assert.Equal(["Transpose", "Conv", "Slice", "Transpose"], cropped.Node.Select(n => n.OpType));
        Assert.Equal([1L, 0], Int64s(cropped, "crop/starts"));
        Assert.Equal([4L, 4], Int64s(cropped, "crop/ends"));
        Assert.Equal([2L, 3], Int64s(cropped, "crop/axes"));

        Assert.Equal(["Identity"], Graph([6, 5, 3], new ZeroPadding2D(0)).Node.Select(n => n.OpType));
    }

    [Fact]
    public void Upsampling_reads_keras_source_rows_and_weights()
    {
        // Nearest by 2 repeats each row: source floor(o / 2).
        GraphProto nearest = Graph([3, 2, 1], new UpSampling2D((2, 1), name: "up"));
        Assert.Equal(["Gather"], nearest.Node.Select(n => n.OpType));
        Assert.Equal([0L, 0, 1, 1, 2, 2], Int64s(nearest, "up/rows_lower"));

        // Bilinear by 2 as Keras' ops.image.resize samples (half-pixel centers, no antialiasing when enlarging): output o
        // samples (o + 0.5) / 2 − 0.5 clamped to [0, 2], that is 0, 0.25, 0.75, 1.25, 1.75, 2.
        GraphProto bilinear = Graph([3, 2, 1], new UpSampling2D((2, 1), Interpolation.Bilinear, name: "up"));
        Assert.Equal(["Gather", "Gather", "Mul", "Mul", "Add"], bilinear.Node.Select(n => n.OpType));
        Assert.Equal([0L, 0, 0, 1, 1, 2], Int64s(bilinear, "up/rows_lower"));
        Assert.Equal([0L, 1, 1, 2, 2, 2], Int64s(bilinear, "up/rows_upper"));
        Assert.Equal([0f, 0.25f, 0.75f, 0.25f, 0.75f, 0f], Floats(bilinear, "up/rows_upper_weight"));
    }

    [Theory]
    [InlineData(112, 112, 2)]
    [InlineData(75, 50, 3)]
    public void Photo_sized_upsampling_matches_predict(int height, int width, int size)
    {
        foreach (Interpolation interpolation in new[] { Interpolation.Nearest, Interpolation.Bilinear })
        {
            var model = new Sequential(name: "photos", seed: 1);
            model.Add(new InputLayer(new TensorShape(height, width, 3), name: "image"));
            model.Add(new UpSampling2D(size, interpolation, name: "up"));
            Tensor images = Tensor.FromArray([.. Tensor.RandomUniform(new TensorShape(2, height, width, 3), 4, 0, 256).AsReadOnlySpan().ToArray().Select(MathF.Floor)], 2, height, width, 3);
            Tensor expected = model.Predict(images);
            (float[] actual, _) = OnnxRoundTrip.RunOnnx(model.ToOnnxBytes(), model, [images])["up"];
            if (interpolation == Interpolation.Nearest)
            {
                Assert.Equal(expected.AsReadOnlySpan().ToArray(), actual);
            }
            else
            {
                OnnxRoundTrip.AssertClose(expected.AsReadOnlySpan(), actual, "up");
            }
        }
    }

    // Why UpSampling2D is written as tables rather than ONNX's Resize: the file is rewritten as one Resize node (scales
    // (1, size, size, 1) on the channels-last input) and run beside the exported file. Nearest Resize with the asymmetric
    // transform and floor rounding reads floor(o / size), UpSampling2D's repeat, exactly; bilinear Resize with half_pixel
    // samples the positions UpSampling2D samples, but ONNX Runtime computes them in float32.
    [Theory]
    [InlineData(112, 112, 2)]
    [InlineData(75, 50, 3)]
    public void Onnx_resize_samples_upsampling2d_positions_but_the_tables_match_predict_at_least_as_closely(int height, int width, int size)
    {
        foreach ((Interpolation interpolation, string mode, string transform, string rounding) in new[]
        {
            (Interpolation.Nearest, "nearest", "asymmetric", "floor"),
            (Interpolation.Bilinear, "linear", "half_pixel", "round_prefer_floor"),
        })
        {
            var model = new Sequential(name: "photos", seed: 1);
            model.Add(new InputLayer(new TensorShape(height, width, 3), name: "image"));
            model.Add(new UpSampling2D(size, interpolation, name: "up"));
            Tensor images = Tensor.FromArray([.. Tensor.RandomUniform(new TensorShape(2, height, width, 3), 4, 0, 256).AsReadOnlySpan().ToArray().Select(MathF.Floor)], 2, height, width, 3);
            float[] expected = model.Predict(images).AsReadOnlySpan().ToArray();
            byte[] tables = model.ToOnnxBytes();

            ModelProto resize = ResizeOnly(tables, size,
                Text("mode", mode), Text("coordinate_transformation_mode", transform), Text("nearest_mode", rounding));

            float viaResize = MaxAbsDifference(expected, OnnxRoundTrip.RunOnnx(resize.ToByteArray(), model, [images])["up"].Values);
            float viaTables = MaxAbsDifference(expected, OnnxRoundTrip.RunOnnx(tables, model, [images])["up"].Values);
            output.WriteLine($"{height}x{width} x{size} {interpolation}, pixels in [0, 255]: max |ONNX Runtime - Predict| = {viaResize:g3} with Resize, {viaTables:g3} with the exported tables");
            if (interpolation == Interpolation.Nearest)
            {
                Assert.Equal(0f, viaResize);
                Assert.Equal(0f, viaTables);
            }
            else
            {
                Assert.True(viaResize <= 1e-5f * 255, $"Bilinear Resize differs from Predict by {viaResize:g3}: not the positions UpSampling2D samples.");
                Assert.True(viaTables <= viaResize, $"The exported tables differ from Predict by {viaTables:g3}, Resize by {viaResize:g3}.");
            }
        }
    }

    // Why bicubic is a MatMul by NeuralNet's tables rather than ONNX's cubic Resize (a = −0.5, half_pixel, exclude_outside,
    // the same kernel): Keras' TensorFlow bicubic reads TensorFlow's 1024-entry coefficient table, rounding the sample's
    // fraction to 1/1024. Upsampling by 2 (fractions 1/4, 3/4) Resize agrees to float rounding; by 3 (fractions 1/3, 2/3)
    // it does not, while the exported MatMul matches Predict at both.
    [Theory]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void Onnx_cubic_resize_is_not_tensorflows_bicubic_where_the_fraction_is_not_a_multiple_of_1_1024(int size, bool resizeDiffers)
    {
        var model = new Sequential(name: "photos", seed: 1);
        model.Add(new InputLayer(new TensorShape(20, 17, 3), name: "image"));
        model.Add(new UpSampling2D(size, Interpolation.Bicubic, name: "up"));
        Tensor images = Tensor.FromArray([.. Tensor.RandomUniform(new TensorShape(2, 20, 17, 3), 4, 0, 256).AsReadOnlySpan().ToArray().Select(MathF.Floor)], 2, 20, 17, 3);
        float[] expected = model.Predict(images).AsReadOnlySpan().ToArray();
        byte[] tables = model.ToOnnxBytes();

        ModelProto resize = ResizeOnly(tables, size, Text("mode", "cubic"), Text("coordinate_transformation_mode", "half_pixel"),
            new AttributeProto { Name = "cubic_coeff_a", Type = AttributeProto.Types.AttributeType.Float, F = -0.5f },
            new AttributeProto { Name = "exclude_outside", Type = AttributeProto.Types.AttributeType.Int, I = 1 });

        float viaResize = MaxAbsDifference(expected, OnnxRoundTrip.RunOnnx(resize.ToByteArray(), model, [images])["up"].Values);
        float viaTables = MaxAbsDifference(expected, OnnxRoundTrip.RunOnnx(tables, model, [images])["up"].Values);
        output.WriteLine($"bicubic x{size}, pixels in [0, 255]: max |ONNX Runtime - Predict| = {viaResize:g3} with cubic Resize, {viaTables:g3} with the exported MatMul");
        Assert.True(viaTables <= 1e-5f * 255, $"The exported MatMul differs from Predict by {viaTables:g3}.");
        Assert.Equal(resizeDiffers, viaResize > 1e-5f * 255);
    }

    [Fact]
    public void Conv2d_transpose_crops_with_pads_and_extends_with_output_padding()
    {
        // Kernel 2, stride 3, valid: Keras' output is in · 3, one row and column beyond the full map's (in − 1) · 3 + 2.
        NodeProto extended = Graph([4, 3, 2], new Conv2DTranspose(3, 2, strides: 3)).Node.Single(n => n.OpType == "ConvTranspose");
        Assert.Equal([0L, 0, 0, 0], Ints(extended, "pads"));
        Assert.Equal([1L, 1], Ints(extended, "output_padding"));

        // Kernel 3, stride 2, same: in · 2 of the full map's (in − 1) · 2 + 3. Keras pads 3 = stride + kernel − 2 in all,
        // 2 before (= kernel − 1: nothing cropped there) and 1 after, so the last row and column are cropped.
        NodeProto cropped = Graph([4, 5, 2], new Conv2DTranspose(3, 3, strides: 2, padding: Padding.Same)).Node.Single(n => n.OpType == "ConvTranspose");
        Assert.Equal([0L, 0, 1, 1], Ints(cropped, "pads"));
        Assert.Equal([0L, 0], Ints(cropped, "output_padding"));

        // Kernel 4, stride 2, same: pads 4 in all, 2 before (one of the kernel − 1 = 3 rows cropped at the start), 2 after.
        NodeProto even = Graph([4, 5, 2], new Conv2DTranspose(3, 4, strides: 2, padding: Padding.Same)).Node.Single(n => n.OpType == "ConvTranspose");
        Assert.Equal([1L, 1, 1, 1], Ints(even, "pads"));
    }

    [Fact]
    public void Normalization_writes_its_statistics_as_predict_uses_them()
    {
        // std = max(√variance, 1e-7): a zero variance divides by 1e-7 as Keras does.
        GraphProto graph = Graph([2], new Normalization(mean: [1f, -2f], variance: [4f, 0f], name: "norm"));
        Assert.Equal(["Sub", "Div"], graph.Node.Select(n => n.OpType));
        Assert.Equal([1f, -2f], Floats(graph, "norm/mean"));
        Assert.Equal([2f, 1e-7f], Floats(graph, "norm/std"));

        Assert.Equal(["Mul", "Add"], Graph([2], new Normalization(mean: [1f, -2f], variance: [4f, 0f], invert: true)).Node.Select(n => n.OpType));
    }

    [Fact]
    public void Normalization_that_was_never_adapted_is_exported_with_its_initial_statistics()
    {
        // As Predict and Keras 3 use it: mean 0 and variance 1, so values pass through.
        GraphProto graph = Graph([3], new Normalization(name: "norm"));
        Assert.Equal(["Sub", "Div"], graph.Node.Select(n => n.OpType));
        Assert.Equal([0f, 0f, 0f], Floats(graph, "norm/mean"));
        Assert.Equal([1f, 1f, 1f], Floats(graph, "norm/std"));
    }

    [Fact]
    public void An_activation_without_an_onnx_form_is_named_on_the_new_convolutions()
    {
        foreach (Layer layer in new Layer[]
        {
            new DepthwiseConv2D(3, activation: new Cube(), name: "cubed"),
            new SeparableConv2D(2, 3, activation: new Cube(), name: "cubed"),
            new Conv2DTranspose(2, 3, activation: new Cube(), name: "cubed"),
        })
        {
            var model = new Sequential(name: "odd");
            model.Add(new InputLayer(6, 5, 2));
            model.Add(layer);
            var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());
            Assert.Contains($"Layer 'cubed' ({layer.TypeName}) uses the activation 'cube'", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Audio_front_ends_are_written_from_opset_13_with_their_own_kernels_and_matrices()
    {
        // ONNX's STFT, DFT and MelWeightMatrix (opset 17) are not used: the same nodes at every opset.
        var stft = new Sequential([new InputLayer(64, 1), new StftSpectrogram(frameLength: 16, name: "stft")], name: "spectral", seed: 1).Randomized();
        var mel = new Sequential([new InputLayer(200), new MelSpectrogram(64, 16, sequenceLength: 48, samplingRate: 8000, numMelBins: 8, name: "mel")], name: "audio");
        var layer = (MelSpectrogram)mel.Layers[^1];
        foreach (int opset in new[] { OnnxExporter.MinimumOpset, OnnxExporter.DefaultOpset, OnnxExporter.MaximumOpset })
        {
            // StftSpectrogram in log mode: a Conv per kernel, then log(max(√max(p, ε), ε)); the kernels are the layer's trained
            // values, re-laid out from (frameLength, 1, bins) to (bins, 1, frameLength).
            GraphProto spectral = ModelProto.Parser.ParseFrom(stft.ToOnnxBytes(new OnnxExportOptions { Opset = opset })).Graph;
            Assert.Equal(["Reshape", "Conv", "Conv", "Mul", "Mul", "Add", "Max", "Sqrt", "Max", "Log", "Reshape", "Transpose", "Reshape"], spectral.Node.Select(n => n.OpType));
            float[] kernel = ((StftSpectrogram)stft.Layers[^1]).ImagKernel!.Value.ToArray();
            float[] written = Floats(spectral, "stft/imag_kernel");
            Assert.Equal(16 * 9, written.Length);
            Assert.All(Enumerable.Range(0, 16 * 9), k => Assert.Equal(kernel[k], written[((k % 9) * 16) + (k / 9)]));

            // MelSpectrogram: reflect padding, the window's rows of the DFT (its periodic Hann window's first tap is 0: 47 of the
            // 64 rows) and the layer's mel matrix, transposed to (numMelBins, bins).
            GraphProto audio = ModelProto.Parser.ParseFrom(mel.ToOnnxBytes(new OnnxExportOptions { Opset = opset })).Graph;
            Assert.Equal(["Pad", "Slice", "Unsqueeze", "Conv", "Conv", "Mul", "Mul", "Add", "Sqrt", "Mul", "MatMul", "Max", "Log", "Mul", "Sub", "ReduceMax", "Sub", "Max"],
                audio.Node.Select(n => n.OpType));
            Assert.Equal("reflect", audio.Node[0].Attribute.Single(a => a.Name == "mode").S.ToStringUtf8());
            Assert.Equal([0L, 32, 0, 32], Int64s(audio, "mel/pads"));
            Assert.Equal([9L], Int64s(audio, "mel/starts"));
            Assert.Equal([47L], Ints(audio.Node.First(n => n.OpType == "Conv"), "kernel_shape"));
            float[] dft = layer.WindowedDftMatrix(imaginary: false).ToArray(), rows = Floats(audio, "mel/dft_real");
            Assert.All(Enumerable.Range(0, 33 * 47), k => Assert.Equal(dft[(((k % 47) + 9) * 33) + (k / 47)], rows[k]));
            float[] weights = layer.LinearToMelWeightMatrix().ToArray(), bands = Floats(audio, "mel/mel_weights");
            Assert.All(Enumerable.Range(0, 33 * 8), k => Assert.Equal(weights[k], bands[((k % 8) * 33) + (k / 8)]));
        }
    }

    [Theory]
    [InlineData(SpectrogramMode.Real)]
    [InlineData(SpectrogramMode.Imag)]
    [InlineData(SpectrogramMode.Stft)]
    [InlineData(SpectrogramMode.Psd)]
    [InlineData(SpectrogramMode.Magnitude)]
    public void Stft_with_its_exact_transform_matches_predict_on_a_tone_and_silence(SpectrogramMode mode)
    {
        // The kernels as the layer makes them (frozen, not randomized): a tone at bin 3 leaves the other bins near zero.
        var model = new Sequential([new InputLayer(48, 2), new StftSpectrogram(mode, 16, 4, padding: Padding.Same, name: "stft") { Trainable = false }], seed: 1);
        float[] signals = new float[2 * 48 * 2];
        for (int t = 0; t < 48; t++)
        {
            signals[t * 2] = MathF.Cos(2 * MathF.PI * 3 * t / 16);
            signals[(t * 2) + 1] = -1f;
        }

        OnnxRoundTrip.AssertMatchesPredictOn(model, Tensor.FromArray(signals, 2, 48, 2));
    }

    [Theory]
    [InlineData(SpectrogramMode.Log)]
    [InlineData(SpectrogramMode.Angle)]
    public void Stft_log_and_angle_with_the_exact_transform_match_predict_on_noise_and_silence(SpectrogramMode mode)
    {
        // Not on a tone: where a bin's true value is 0 Predict and ONNX Runtime hold different rounding noise, whose angle (and
        // logarithm, above the floor) differ. Silence is exact zeros: the floor, and atan2(0, 0) = 0.
        var model = new Sequential([new InputLayer(40, 2), new StftSpectrogram(mode, 12, 5, periodic: true, name: "stft") { Trainable = false }], seed: 1);
        float[] signals = Tensor.RandomNormal(new TensorShape(2, 40, 2), 7).ToArray();
        signals.AsSpan(80).Clear();
        OnnxRoundTrip.AssertMatchesPredictOn(model, Tensor.FromArray(signals, 2, 40, 2));
    }

    [Fact]
    public void Stft_angle_at_the_negative_real_axis_is_a_half_turn_as_in_predict()
    {
        // Frames of two samples, no window: bin 0 is (x0 + x1, ±0) exactly, so a negative sum is at ±π; bin 1 is
        // (x0 − x1, sin(−π) · x1), a tiny imaginary part whose sign chooses the half-turn.
        var model = new Sequential([new InputLayer(8, 1), new StftSpectrogram(SpectrogramMode.Angle, 2, 2, window: SpectralWindow.None, scaling: SpectrogramScaling.None, name: "stft") { Trainable = false }], seed: 1);
        float[] angles = OnnxRoundTrip.AssertMatchesPredictOn(model, Tensor.FromArray([-1f, -2f, 3f, -0.5f, 0f, 0f, -3f, 4f], 1, 8, 1));
        Assert.Equal(MathF.PI, MathF.Abs(angles[0]));
        Assert.Equal(0f, angles[2]);
        Assert.Equal(0f, angles[4]);
    }

    [Fact]
    public void Mel_spectrogram_matches_predict_on_a_tone_and_silence_with_the_batch_wide_floor()
    {
        // Silence is 10 log10(1e-10) = −100 dB, raised to the floor: the tone's maximum − topDb (40 dB keeps the values above the
        // floor far above rounding noise). A batch of silence alone is −100 everywhere.
        var model = new Sequential([new InputLayer(256), new MelSpectrogram(64, 16, samplingRate: 8000, numMelBins: 10, topDb: 40, name: "mel")], seed: 1);
        float[] signals = new float[2 * 256];
        for (int t = 0; t < 256; t++)
        {
            signals[t] = 0.5f * MathF.Cos(2 * MathF.PI * 9.5f * t / 64);
        }

        float[] both = OnnxRoundTrip.AssertMatchesPredictOn(model, Tensor.FromArray(signals, 2, 256));
        float floor = both.Max() - 40f;
        Assert.All(both.AsSpan(both.Length / 2).ToArray(), v => Assert.Equal(floor, v));
        float[] silence = OnnxRoundTrip.AssertMatchesPredictOn(model, new Tensor(1, 256));
        Assert.All(silence, v => Assert.Equal(-100f, v, 1e-4f));
    }

    [Fact]
    public void Every_built_in_layer_type_has_an_onnx_form()
    {
        // InputLayer is a graph input; every other concrete layer type NeuralNet has is listed (a user's layer is not:
        // ExportBehaviourTests), but Rnn, which runs any cell, a user's too, and Lambda, which runs a function of the
        // user's, both refused by name (ExportBehaviourTests).
        Type[] refused = [typeof(InputLayer), typeof(Rnn), typeof(Lambda)];
        string[] builtIn = [.. typeof(Layer).Assembly.GetExportedTypes()
            .Where(t => t.IsSubclassOf(typeof(Layer)) && !t.IsAbstract && !refused.Contains(t))
            .Select(t => t.Name).Order(StringComparer.Ordinal)];
        Assert.NotEmpty(builtIn);
        Assert.Empty(builtIn.Except(OnnxExporter.SupportedLayers));
    }

    // A model of the layers on inputs of `shape`; the graph of its ONNX file.
    private static GraphProto Graph(int[] shape, params Layer[] layers)
    {
        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(shape));
        foreach (Layer layer in layers)
        {
            model.Add(layer);
        }

        return ModelProto.Parser.ParseFrom(model.ToOnnxBytes()).Graph;
    }

    // The exported model's graph with one ONNX Resize of the image by `size` in place of its nodes: the "image" input, the
    // "up" output, the given attributes.
    private static ModelProto ResizeOnly(byte[] exported, int size, params AttributeProto[] attributes)
    {
        ModelProto resize = ModelProto.Parser.ParseFrom(exported);
        resize.Graph.Node.Clear();
        resize.Graph.Initializer.Clear();
        var scales = new TensorProto { Name = "scales", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 4 } };
        scales.FloatData.AddRange([1f, size, size, 1f]);
        resize.Graph.Initializer.Add(scales);
        var node = new NodeProto { OpType = "Resize", Input = { "image", "", "scales" }, Output = { "up" } };
        node.Attribute.AddRange(attributes);
        resize.Graph.Node.Add(node);
        return resize;
    }

    private static AttributeProto Text(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private static float MaxAbsDifference(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        return expected.Zip(actual, (e, a) => Math.Abs(a - e)).Max();
    }

    private static long[] Ints(NodeProto node, string attribute) => [.. node.Attribute.Single(a => a.Name == attribute).Ints];

    private static long[] Int64s(GraphProto graph, string name)
    {
        TensorProto tensor = graph.Initializer.Single(i => i.Name == name);
        return [.. Enumerable.Range(0, tensor.RawData.Length / sizeof(long)).Select(k => BitConverter.ToInt64(tensor.RawData.Span[(k * sizeof(long))..]))];
    }

    private static float[] Floats(GraphProto graph, string name)
    {
        TensorProto tensor = graph.Initializer.Single(i => i.Name == name);
        return [.. Enumerable.Range(0, tensor.RawData.Length / sizeof(float)).Select(k => BitConverter.ToSingle(tensor.RawData.Span[(k * sizeof(float))..]))];
    }
}
