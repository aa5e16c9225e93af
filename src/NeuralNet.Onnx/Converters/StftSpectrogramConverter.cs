using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// StftSpectrogram as Keras computes it: every channel a signal of its own, (batch · channels, 1, steps), convolved by ONNX's
/// Conv with the layer's real and imaginary kernels (initializers re-laid out from (frameLength, 1, bins) to (bins, 1,
/// frameLength)), stride frameStep and 'same' padding as explicit pads; then the mode's element-wise nodes in Predict's float32
/// order, and the (batch, channels, features, frames) result transposed to (batch, frames, channels · features) or, with
/// expandDims, (batch, frames, features, channels). Conv, Atan and the rest are in every opset from 13 (ONNX's STFT, from 17,
/// is not used).
/// </summary>
internal static class StftSpectrogramConverter
{
    // Keras' backend.epsilon() in float32, StftSpectrogram's floor of the power and of the magnitude.
    private const float Epsilon = 1e-7f;

    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var stft = (StftSpectrogram)layer;
        int steps = layer.InputShape[0], channels = layer.InputShape[1], length = stft.FrameLength, step = stft.FrameStep;
        int bins = (stft.FftLength / 2) + 1, frames = outputShape[0], features = stft.Mode == SpectrogramMode.Stft ? 2 * bins : bins;

        // (batch, steps, channels) -> (batch · channels, 1, steps); one channel needs no transpose.
        string x = channels == 1 ? inputs[0].Name : SequenceConverters.ChannelsFirst(graph, inputs[0]);
        string signals = graph.Node("Reshape", [x, graph.Int64s("signals_shape", -1, 1, steps)]);

        // 'same': the zeros a 1-D convolution adds, the odd one after (StftSpectrogram.OnBuild).
        int total = stft.Padding == Padding.Same ? Math.Max(((frames - 1) * step) + length - steps, 0) : 0;
        string? re = stft.RealKernel is { } real ? Transform(graph, signals, real, length, bins, step, total) : null;
        string? im = stft.ImagKernel is { } imag ? Transform(graph, signals, imag, length, bins, step, total) : null;

        // (batch · channels, features, frames).
        string y = stft.Mode switch
        {
            SpectrogramMode.Real => re!,
            SpectrogramMode.Imag => im!,
            SpectrogramMode.Stft => graph.Node("Concat", [re!, im!], OnnxAttribute.Int("axis", 1)),
            SpectrogramMode.Angle => Atan2(graph, im!, re!),
            _ => FromPower(graph, stft.Mode, graph.Node("Add", [graph.Node("Mul", [re!, re!]), graph.Node("Mul", [im!, im!])]), bins),
        };

        y = graph.Node("Reshape", [y, graph.Int64s("per_channel_shape", -1, channels, features, frames)]);
        if (stft.ExpandDims)
        {
            return graph.Node("Transpose", [y], outputShape, Layout.ChannelsLast, OnnxAttribute.Ints("perm", 0, 3, 2, 1));
        }

        y = graph.Node("Transpose", [y], OnnxAttribute.Ints("perm", 0, 3, 1, 2));
        return graph.Node("Reshape", [y, graph.Int64s("shape", 0, frames, channels * features)], outputShape, Layout.ChannelsLast);
    }

    // One side of the transform: Conv of the signals with the kernel as filters (bins, 1, frameLength).
    private static string Transform(OnnxGraphBuilder graph, string signals, Parameter kernel, int length, int bins, int step, int totalPad) =>
        graph.Node("Conv", [signals, graph.Initializer(kernel, [bins, 1, length], keras => SequenceConverters.KernelStepsLast(keras, length, 1, bins))],
            OnnxAttribute.Ints("kernel_shape", length),
            OnnxAttribute.Ints("strides", step),
            OnnxAttribute.Ints("dilations", 1),
            OnnxAttribute.Ints("pads", totalPad / 2, totalPad - (totalPad / 2)),
            OnnxAttribute.Int("group", 1));

    // psd, magnitude and log from p = re² + im², as StftSpectrogram.WriteOutput computes them.
    private static string FromPower(OnnxGraphBuilder graph, SpectrogramMode mode, string power, int bins)
    {
        if (mode == SpectrogramMode.Psd)
        {
            // Keras' one-sided density: every bin but the first and the last twice (p · 2 is p + p exactly), per bin (bins, 1).
            float[] doubling = [.. Enumerable.Range(0, bins).Select(f => f > 0 && f < bins - 1 ? 2f : 1f)];
            return graph.Node("Mul", [power, graph.Floats("psd_doubling", [bins, 1], doubling)]);
        }

        string epsilon = graph.Scalar("epsilon", Epsilon);
        string magnitude = graph.Node("Sqrt", [graph.Node("Max", [power, epsilon])]);
        return mode == SpectrogramMode.Magnitude ? magnitude : graph.Node("Log", [graph.Node("Max", [magnitude, epsilon])]);
    }

    /// <summary>
    /// atan2(y, x) as MathF.Atan2 gives it, ONNX having only Atan: atan(y / x), plus π where x is negative or −0 (minus π when
    /// y is too: negative or −0), and y itself where y is ±0 (0 / 0 is NaN; atan2(±0, x &gt; 0) = ±0). A zero's sign is read
    /// from its reciprocal (±∞), so the half-turn at the negative real axis follows the sign of a zero imaginary part as in Predict.
    /// </summary>
    internal static string Atan2(OnnxGraphBuilder graph, string y, string x)
    {
        string zero = graph.Scalar("zero", 0f);
        string quotient = graph.Node("Atan", [graph.Node("Div", [y, x])]);
        string angle = graph.Node("Where", [graph.Node("Equal", [y, zero]), y, quotient]);
        string halfTurn = graph.Node("Where", [Negative(graph, y, zero), graph.Scalar("minus_pi", -MathF.PI), graph.Scalar("pi", MathF.PI)]);
        return graph.Node("Where", [Negative(graph, x, zero), graph.Node("Add", [angle, halfTurn]), angle]);
    }

    // v < 0 or v = −0 (1 / −0 = −∞); Less alone catches values whose reciprocal underflows.
    private static string Negative(OnnxGraphBuilder graph, string v, string zero) =>
        graph.Node("Or", [graph.Node("Less", [v, zero]), graph.Node("Less", [graph.Node("Reciprocal", [v]), zero])]);
}
