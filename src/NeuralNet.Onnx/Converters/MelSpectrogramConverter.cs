using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// MelSpectrogram as Predict computes it, from opset 13 (ONNX's STFT, DFT and MelWeightMatrix, from 17, are not used):
/// <list type="number">
/// <item>Pad (reflect) by fftLength / 2 on each side, Keras' <c>center=True</c>, then (batch, 1, samples);</item>
/// <item>the windowed DFT as two Convs, stride sequenceStride, with the layer's <see cref="MelSpectrogram.WindowedDftMatrix"/>
/// as filters (bins, 1, taps), trimmed to the rows that are not zero (outside the window) and the signal sliced to match:
/// re and im (batch, bins, frames);</item>
/// <item>|X| = √(re² + im²), then |X|·|X| or Pow(|X|, magExp), and the mel matrix
/// (<see cref="MelSpectrogram.LinearToMelWeightMatrix"/>, transposed) times it: (batch, numMelBins, frames), the layer's layout;</item>
/// <item>with powerToDb, 10·log10(max(S, minPower)) − the reference's decibels, clipped below at the maximum over the whole
/// batch (ReduceMax of every axis, as Predict) minus topDb.</item>
/// </list>
/// </summary>
internal static class MelSpectrogramConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var mel = (MelSpectrogram)layer;
        int half = mel.FftLength / 2, bins = half + 1, stride = mel.SequenceStride, frames = outputShape[1];
        int padded = layer.InputShape[0] + (2 * half);
        float[] real = mel.WindowedDftMatrix(imaginary: false).AsReadOnlySpan().ToArray();
        float[] imag = mel.WindowedDftMatrix(imaginary: true).AsReadOnlySpan().ToArray();

        // The frame's samples that meet a non-zero row (the window's; a periodic Hann window's first tap is 0): the others add
        // only zeros to Predict's sums.
        (int first, int end) = NonZeroRows(real, imag, bins);
        string signal = graph.Node("Pad", [inputs[0].Name, graph.Int64s("pads", 0, half, 0, half)], OnnxAttribute.String("mode", "reflect"));
        int last = first + ((frames - 1) * stride) + (end - first);
        if (first > 0 || last < padded)
        {
            signal = graph.Node("Slice", [signal, graph.Int64s("starts", first), graph.Int64s("ends", last), graph.Int64s("axes", 1)]);
        }

        signal = graph.Node("Unsqueeze", [signal, graph.Int64s("axes", 1)]);
        string re = Transform(graph, signal, "dft_real", real, first, end, bins, stride);
        string im = Transform(graph, signal, "dft_imag", imag, first, end, bins, stride);

        // Predict: √(re² + im²), then squared or raised to magExp.
        string magnitude = graph.Node("Sqrt", [graph.Node("Add", [graph.Node("Mul", [re, re]), graph.Node("Mul", [im, im])])]);
        float exponent = (float)mel.MagExp;
        string spectrum = exponent == 2f
            ? graph.Node("Mul", [magnitude, magnitude])
            : graph.Node("Pow", [magnitude, graph.Scalar("mag_exp", exponent)]);

        // (numMelBins, bins) · (batch, bins, frames) -> (batch, numMelBins, frames).
        float[] weights = mel.LinearToMelWeightMatrix().AsReadOnlySpan().ToArray();
        float[] transposed = new float[weights.Length];
        for (int f = 0; f < bins; f++)
        {
            for (int m = 0; m < mel.NumMelBins; m++)
            {
                transposed[(m * bins) + f] = weights[(f * mel.NumMelBins) + m];
            }
        }

        string melSpectrum = graph.Node("MatMul", [graph.Floats("mel_weights", [mel.NumMelBins, bins], transposed), spectrum]);
        if (!mel.PowerToDb)
        {
            return new OnnxValue(melSpectrum, outputShape, Layout.ChannelsLast);
        }

        // MelSpectrogram.Decibels: 10·log10(max(S, minPower)) as ln · 10 / ln 10, less the reference's decibels (a constant
        // computed as Predict computes it).
        float minPower = (float)mel.MinPower;
        float reference = 10f * MathF.Log10(MathF.Max(MathF.Abs((float)mel.RefPower), minPower));
        string log = graph.Node("Log", [graph.Node("Max", [melSpectrum, graph.Scalar("min_power", minPower)])]);
        string decibels = graph.Node("Sub", [graph.Node("Mul", [log, graph.Scalar("db_per_ln", (float)(10.0 / Math.Log(10.0)))]), graph.Scalar("reference_db", reference)]);

        // The floor: the maximum over every axis, the batch's included (no axes: all, at every opset), less topDb.
        string maximum = graph.Node("ReduceMax", [decibels], OnnxAttribute.Int("keepdims", 1));
        string floor = graph.Node("Sub", [maximum, graph.Scalar("top_db", (float)mel.TopDb)]);
        return graph.Node("Max", [decibels, floor], outputShape, Layout.ChannelsLast);
    }

    // Conv of the padded signal (batch, 1, samples) with rows first .. end of the (fftLength, bins) matrix as filters (bins, 1, taps).
    private static string Transform(OnnxGraphBuilder graph, string signal, string name, float[] matrix, int first, int end, int bins, int stride)
    {
        int taps = end - first;
        var filters = new float[bins * taps];
        for (int t = 0; t < taps; t++)
        {
            for (int f = 0; f < bins; f++)
            {
                filters[(f * taps) + t] = matrix[((first + t) * bins) + f];
            }
        }

        return graph.Node("Conv", [signal, graph.Floats(name, [bins, 1, taps], filters)],
            OnnxAttribute.Ints("kernel_shape", taps),
            OnnxAttribute.Ints("strides", stride),
            OnnxAttribute.Ints("dilations", 1),
            OnnxAttribute.Ints("pads", 0, 0),
            OnnxAttribute.Int("group", 1));
    }

    // The rows [first, end) outside which both matrices are zero.
    private static (int First, int End) NonZeroRows(float[] real, float[] imag, int bins)
    {
        int rows = real.Length / bins;
        bool Zero(int t)
        {
            for (int f = 0; f < bins; f++)
            {
                if (real[(t * bins) + f] != 0f || imag[(t * bins) + f] != 0f)
                {
                    return false;
                }
            }

            return true;
        }

        int first = 0, end = rows;
        while (first < end - 1 && Zero(first))
        {
            first++;
        }

        while (end > first + 1 && Zero(end - 1))
        {
            end--;
        }

        return (first, end);
    }
}
