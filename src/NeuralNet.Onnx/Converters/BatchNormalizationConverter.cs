using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// BatchNormalization at inference: γ · ((x − moving mean) · 1/√(moving variance + ε)) + β over the channels, computed in the
/// order NeuralNet computes it, so that the file's results match Predict's to float rounding. Written as Sub, Mul, Add
/// rather than ONNX's BatchNormalization so that it also applies to (batch, ..., channels) values of any rank.
/// </summary>
internal static class BatchNormalizationConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var norm = (BatchNormalization)layer;
        OnnxValue x = inputs[0];
        ReadOnlySpan<float> mean = norm.MovingMean.Value.AsReadOnlySpan();
        ReadOnlySpan<float> variance = norm.MovingVariance.Value.AsReadOnlySpan();
        int channels = mean.Length;
        var invStd = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            invStd[c] = 1f / MathF.Sqrt(variance[c] + norm.Epsilon);
        }

        string y = graph.Node("Sub", [x.Name, graph.ChannelConstant(x, "moving_mean", mean)]);
        y = graph.Node("Mul", [y, graph.ChannelConstant(x, "inverse_std", invStd)]);
        if (norm.Gamma is { } gamma)
        {
            y = graph.Node("Mul", [y, graph.ChannelConstant(x, "gamma", gamma.Value.AsReadOnlySpan())]);
        }

        if (norm.Beta is { } beta)
        {
            y = graph.Node("Add", [y, graph.ChannelConstant(x, "beta", beta.Value.AsReadOnlySpan())]);
        }

        return new OnnxValue(y, outputShape, x.Layout);
    }
}
