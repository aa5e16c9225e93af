using Microsoft.ML.OnnxRuntime;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;
using Xunit;

namespace NeuralNet.Onnx.Tests;

/// <summary>
/// What the 3-D layers become in the file (Conv3D's kernel layout and pads, the pooling attributes, padding, cropping and
/// upsampling in the value's layout, volumes kept channels first between layers) and one file run at several batch
/// sizes, beside their round trips in <see cref="ExportCases"/>.
/// </summary>
public sealed class VolumeExportTests
{
    [Fact]
    public void The_3d_cnn_is_transposed_once_and_stays_channels_first_to_the_global_pool()
    {
        GraphProto graph = Graph(ExportCases.Build("cnn3d_clip_classifier"));
        Assert.Equal(
            ["Transpose", "Conv", "Relu", "MaxPool", "Conv", "Relu", "Gather", "Gather", "Pad", "Slice", "GlobalAveragePool", "Flatten", "MatMul", "Add", "Softmax"],
            graph.Node.Select(n => n.OpType));
        Assert.Equal([0L, 4, 1, 2, 3], Ints(graph.Node[0], "perm"));
    }

    [Fact]
    public void Layers_between_conv3d_layers_keep_the_volume_channels_first()
    {
        // Batch norm, per-channel PReLU and the normalizations over the channels broadcast (C, 1, 1, 1) constants, so only
        // the input and the output are transposed.
        GraphProto graph = Graph(ExportCases.Build("volume_normalizations_after_conv3d"));
        Assert.Equal(2, graph.Node.Count(n => n.OpType == "Transpose"));
        Assert.Equal([0L, 2, 3, 4, 1], Ints(graph.Node.Last(n => n.OpType == "Transpose"), "perm"));
        Assert.Equal([6L, 1, 1, 1], graph.Initializer.Single(i => i.Name == "batch_normalization/moving_mean").Dims);
        Assert.Equal([6L, 1, 1, 1], graph.Initializer.Single(i => i.Name.StartsWith("p_re_lu/", StringComparison.Ordinal)).Dims);
    }

    [Fact]
    public void Conv3d_writes_keras_kernel_as_filters_in_depth_height_width_with_the_odd_same_pad_after()
    {
        Model model = ExportCases.Build("conv3d_same_per_axis_strides_no_bias");
        var conv = (Conv3D)model.Layers.Single(l => l is Conv3D);
        GraphProto graph = Graph(model);
        NodeProto node = graph.Node.Single(n => n.OpType == "Conv");
        Assert.Equal([3L, 2, 3], Ints(node, "kernel_shape"));
        Assert.Equal([2L, 1, 3], Ints(node, "strides"));
        Assert.Equal([1L, 1, 1], Ints(node, "dilations"));

        // Input (7, 6, 9), kernel (3, 2, 3), strides (2, 1, 3): outputs (4, 6, 3); padded 2 (1 + 1), 1 (0 + 1: after), 0.
        Assert.Equal([1L, 0, 0, 1, 1, 0], Ints(node, "pads"));
        Assert.Equal(2, node.Input.Count);

        TensorProto weights = graph.Initializer.Single(i => i.Name == node.Input[1]);
        Assert.Equal([4L, 2, 3, 2, 3], weights.Dims);
        float[] onnx = Floats(weights);
        ReadOnlySpan<float> keras = conv.Kernel.Value.AsReadOnlySpan();
        for (int kd = 0; kd < 3; kd++)
        {
            for (int kh = 0; kh < 2; kh++)
            {
                for (int kw = 0; kw < 3; kw++)
                {
                    for (int c = 0; c < 2; c++)
                    {
                        for (int f = 0; f < 4; f++)
                        {
                            Assert.Equal(keras[(((((((kd * 2) + kh) * 3) + kw) * 2) + c) * 4) + f], onnx[(((((((f * 2) + c) * 3) + kd) * 2) + kh) * 3) + kw]);
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Dilated_same_conv3d_pads_for_the_dilated_span()
    {
        // Input (7, 8, 6), kernel (2, 3, 4) dilated (2, 1, 2): spans (3, 3, 7), padded 2, 2 and 6 in total.
        NodeProto node = Graph(ExportCases.Build("conv3d_same_dilated_even_kernel_softmax")).Node.Single(n => n.OpType == "Conv");
        Assert.Equal([2L, 1, 2], Ints(node, "dilations"));
        Assert.Equal([1L, 1, 3, 1, 1, 3], Ints(node, "pads"));
    }

    [Fact]
    public void Conv3d_transpose_writes_keras_kernel_as_in_filters_depth_height_width_and_crops_as_pads_or_output_padding()
    {
        Model model = ExportCases.Build("conv3d_transpose_output_padding_no_bias");
        var conv = (Conv3DTranspose)model.Layers.Single(l => l is Conv3DTranspose);
        GraphProto graph = Graph(model);
        Assert.Equal(["Transpose", "ConvTranspose", "Transpose"], graph.Node.Select(n => n.OpType));
        NodeProto node = graph.Node[1];
        Assert.Equal([3L, 2, 2], Ints(node, "kernel_shape"));
        Assert.Equal([2L, 3, 2], Ints(node, "strides"));

        // Valid, input (3, 2, 3), strides (2, 3, 2), outputPadding (1, 2, 0): Keras' outputs (8, 7, 6) are the full
        // (7, 5, 6) axes, nothing cropped, with 1, 2 and 0 zeros added at the end.
        Assert.Equal([0L, 0, 0, 0, 0, 0], Ints(node, "pads"));
        Assert.Equal([1L, 2, 0], Ints(node, "output_padding"));
        Assert.Equal(2, node.Input.Count);

        TensorProto weights = graph.Initializer.Single(i => i.Name == node.Input[1]);
        Assert.Equal([2L, 3, 3, 2, 2], weights.Dims);
        float[] onnx = Floats(weights);
        ReadOnlySpan<float> keras = conv.Kernel.Value.AsReadOnlySpan();
        for (int kd = 0; kd < 3; kd++)
        {
            for (int kh = 0; kh < 2; kh++)
            {
                for (int kw = 0; kw < 2; kw++)
                {
                    for (int f = 0; f < 3; f++)
                    {
                        for (int c = 0; c < 2; c++)
                        {
                            Assert.Equal(keras[(((((((kd * 2) + kh) * 2) + kw) * 3) + f) * 2) + c], onnx[(((((((c * 3) + f) * 3) + kd) * 2) + kh) * 2) + kw]);
                        }
                    }
                }
            }
        }

        // Same, input (3, 3, 2), kernel (3, 2, 3), strides (2, 2, 3), outputPadding (1, 0, 2): Keras' outputs (6, 4, 6)
        // from the full (7, 6, 6): depth cropped 1 at the end, height 1 at each end, width whole.
        NodeProto same = Graph(ExportCases.Build("conv3d_transpose_same_output_padding")).Node.Single(n => n.OpType == "ConvTranspose");
        Assert.Equal([0L, 1, 0, 1, 1, 0], Ints(same, "pads"));
        Assert.Equal([0L, 0, 0], Ints(same, "output_padding"));
    }

    [Fact]
    public void Rms_normalization_over_the_channels_keeps_the_volume_channels_first_at_every_opset()
    {
        foreach (int opset in new[] { OnnxExporter.MinimumOpset, OnnxExporter.DefaultOpset, OnnxExporter.MaximumOpset })
        {
            GraphProto graph = Graph(ExportCases.Build("rms_norm_channels_after_conv3d"), opset);
            Assert.Equal(["Transpose", "Conv", "Mul", "ReduceMean", "Add", "Sqrt", "Reciprocal", "Mul", "Mul", "Conv", "Transpose"], graph.Node.Select(n => n.OpType));
            NodeProto mean = graph.Node[3];

            // The channels are axis 1 of NCDHW; ReduceMean's axes are an attribute before opset 18 and an input from it.
            long[] axes = opset < 18 ? Ints(mean, "axes") : Int64s(graph, mean.Input[1]);
            Assert.Equal([1L], axes);
            Assert.Equal([3L, 1, 1, 1], graph.Initializer.Single(i => i.Name == graph.Node[8].Input[1]).Dims);
        }

        // Over every axis of a sample the scale spans (d, h, w, c): the value is turned channels last for it.
        GraphProto whole = Graph(ExportCases.Build("rms_norm_whole_volume_after_conv3d"));
        Assert.Equal(["Transpose", "Conv", "Transpose", "Mul", "ReduceMean", "Add", "Sqrt", "Reciprocal", "Mul", "Mul"], whole.Node.Select(n => n.OpType));
        Assert.Equal([3L, 4, 2, 3], Scale(whole).Dims);

        static TensorProto Scale(GraphProto g) => g.Initializer.Single(i => i.Name == g.Node[^1].Input[1]);
    }

    [Fact]
    public void Average_pooling3d_does_not_count_padding_and_max_pooling3d_has_no_such_attribute()
    {
        NodeProto average = Graph(ExportCases.Build("average_pooling3d_same_padding_not_counted")).Node.Single(n => n.OpType == "AveragePool");
        Assert.Equal(0, average.Attribute.Single(a => a.Name == "count_include_pad").I);
        Assert.Equal([3L, 2, 3], Ints(average, "kernel_shape"));
        Assert.Equal([2L, 2, 1], Ints(average, "strides"));

        // Input (5, 7, 6), window (3, 2, 3), strides (2, 2, 1): outputs (3, 4, 6); padded 2, 1 (after), 2.
        Assert.Equal([1L, 0, 1, 1, 1, 1], Ints(average, "pads"));

        NodeProto max = Graph(ExportCases.Build("max_pooling3d_same_per_axis_strides")).Node.Single(n => n.OpType == "MaxPool");
        Assert.DoesNotContain(max.Attribute, a => a.Name == "count_include_pad");
        // Input (5, 7, 6), window (2, 3, 2), strides (1, 2, 3): outputs (5, 4, 2); padded 1 (after), 2 (1 + 1), none.
        Assert.Equal([0L, 1, 0, 1, 1, 0], Ints(max, "pads"));
    }

    [Fact]
    public void Padding_cropping_and_upsampling_act_on_the_volume_axes_of_the_values_layout()
    {
        // On the channels-last input: depth, height and width are axes 1, 2 and 3.
        GraphProto padded = Graph(ExportCases.Build("zero_padding3d_each_side"));
        Assert.Equal(["Pad"], padded.Node.Select(n => n.OpType));
        Assert.Equal([0L, 1, 0, 3, 0, 0, 0, 2, 1, 0], Int64s(padded, "zero_padding3d/pads"));

        // After a Conv3D the volume is channels first: depth, height and width are axes 2, 3 and 4.
        GraphProto paddedAfterConv = Graph(ExportCases.Build("zero_padding3d_after_conv3d"));
        Assert.Equal([0L, 0, 1, 0, 2, 0, 0, 1, 0, 2], Int64s(paddedAfterConv, "zero_padding3d/pads"));
        Assert.Equal(2, paddedAfterConv.Node.Count(n => n.OpType == "Transpose"));

        GraphProto cropped = Graph(ExportCases.Build("cropping3d_after_conv3d"));
        Assert.Equal(["Transpose", "Conv", "Slice", "Transpose", "Flatten", "MatMul", "Add"], cropped.Node.Select(n => n.OpType));
        Assert.Equal([1L, 2, 0], Int64s(cropped, "cropping3d/starts"));
        Assert.Equal([6L - 1, 5 - 2, 4], Int64s(cropped, "cropping3d/ends")); // (1, 2, 0) on each side of the convolved (6, 5, 4)
        Assert.Equal([2L, 3, 4], Int64s(cropped, "cropping3d/axes"));

        // Factors (2, 1, 3) on a (2, 3, 4) input: depth and width gathered, height left alone.
        GraphProto upsampled = Graph(ExportCases.Build("up_sampling3d_per_axis"));
        Assert.Equal(["Gather", "Gather"], upsampled.Node.Select(n => n.OpType));
        Assert.Equal([0L, 0, 1, 1], Int64s(upsampled, "up_sampling3d/depth"));
        Assert.Equal([0L, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], Int64s(upsampled, "up_sampling3d/columns"));
        Assert.Equal([1L, 3], upsampled.Node.Select(n => n.Attribute.Single(a => a.Name == "axis").I));

        Assert.DoesNotContain(Graph(ExportCases.Build("cropping3d_nothing")).Node, n => n.OpType is "Slice");
        Assert.DoesNotContain(Graph(ExportCases.Build("zero_padding3d_nothing")).Node, n => n.OpType is "Pad");
        Assert.DoesNotContain(Graph(ExportCases.Build("up_sampling3d_nothing")).Node, n => n.OpType is "Gather");
    }

    [Fact]
    public void One_file_of_the_3d_cnn_runs_any_batch_size()
    {
        Model model = ExportCases.Build("cnn3d_clip_classifier");
        byte[] onnx = model.ToOnnxBytes();
        using (var session = new InferenceSession(onnx))
        {
            Assert.Equal([-1, 7, 9, 8, 2], session.InputMetadata.Values.Single().Dimensions);
            Assert.Equal("batch", session.InputMetadata.Values.Single().SymbolicDimensions[0]);
        }

        foreach (int batch in new[] { 1, 2, 5 })
        {
            Tensor clips = Tensor.RandomNormal(new TensorShape(batch, 7, 9, 8, 2), 40 + batch);
            Tensor expected = model.Predict(clips);
            (float[] actual, int[] dimensions) = OnnxRoundTrip.RunOnnx(onnx, model, [clips]).Values.Single();
            Assert.Equal([batch, 3], dimensions);
            OnnxRoundTrip.AssertClose(expected.AsReadOnlySpan(), actual, $"batch {batch}");
        }
    }

    [Fact]
    public void A_3d_model_with_a_softmax_conv3d_matches_predict_on_large_values()
    {
        // Large inputs make a wrong softmax axis (or a wrong kernel layout) show far beyond the tolerance.
        Model model = ExportCases.Build("conv3d_same_dilated_even_kernel_softmax");
        Tensor clips = Tensor.FromArray([.. Tensor.RandomNormal(new TensorShape(2, 7, 8, 6, 3), 9).AsReadOnlySpan().ToArray().Select(v => v * 20)], 2, 7, 8, 6, 3);
        OnnxRoundTrip.AssertMatchesPredictOn(model, clips);
    }

    [Fact]
    public void The_3d_layer_types_are_listed_as_supported()
    {
        Assert.Subset(OnnxExporter.SupportedLayers.ToHashSet(),
            new HashSet<string> { "Conv3D", "Conv3DTranspose", "MaxPooling3D", "AveragePooling3D", "GlobalMaxPooling3D", "GlobalAveragePooling3D", "UpSampling3D", "ZeroPadding3D", "Cropping3D" });
    }

    [Fact]
    public void An_activation_onnx_lacks_in_a_conv3d_is_refused_naming_the_layer()
    {
        var model = new Sequential(name: "clips");
        model.Add(new InputLayer(3, 4, 4, 2));
        model.Add(new Conv3D(2, 2, activation: new Cube(), name: "cubed"));
        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());
        Assert.Contains("Layer 'cubed' (Conv3D) uses the activation 'cube'", error.Message, StringComparison.Ordinal);

        var transposed = new Sequential(name: "clips");
        transposed.Add(new InputLayer(3, 4, 4, 2));
        transposed.Add(new Conv3DTranspose(2, 2, activation: new Cube(), name: "cubed_up"));
        error = Assert.Throws<NotSupportedException>(() => transposed.ToOnnxBytes());
        Assert.Contains("Layer 'cubed_up' (Conv3DTranspose) uses the activation 'cube'", error.Message, StringComparison.Ordinal);
    }

    private static GraphProto Graph(Model model, int opset = OnnxExporter.DefaultOpset) =>
        ModelProto.Parser.ParseFrom(model.ToOnnxBytes(new OnnxExportOptions { Opset = opset })).Graph;

    private static long[] Ints(NodeProto node, string attribute) => [.. node.Attribute.Single(a => a.Name == attribute).Ints];

    private static long[] Int64s(GraphProto graph, string name)
    {
        TensorProto tensor = graph.Initializer.Single(i => i.Name == name);
        return [.. Enumerable.Range(0, tensor.RawData.Length / sizeof(long)).Select(k => BitConverter.ToInt64(tensor.RawData.Span[(k * sizeof(long))..]))];
    }

    private static float[] Floats(TensorProto tensor) =>
        [.. Enumerable.Range(0, tensor.RawData.Length / sizeof(float)).Select(k => BitConverter.ToSingle(tensor.RawData.Span[(k * sizeof(float))..]))];
}
