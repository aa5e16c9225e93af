namespace NeuralNet.Losses;

/// <summary>
/// The loops the losses share, with Keras' reduction <c>sum_over_batch_size</c>: a loss defined element by element is the mean
/// over every element (the mean over the last axis, then over the samples and steps); a loss defined on rows (the last
/// axis) is the mean of the rows' values. Gradients are the derivatives of those means.
/// </summary>
internal static class LossLoops
{
    /// <summary>mean over i of value(p[i], t[i]), in float64.</summary>
    public static float Mean(string loss, Tensor predictions, Tensor targets, Func<double, double, double> value)
    {
        LossChecks.SameShape(loss, predictions, targets);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        double total = 0;
        for (int i = 0; i < p.Length; i++)
        {
            total += value(p[i], t[i]);
        }

        return (float)(total / p.Length);
    }

    /// <summary>gradient[i] = derivative(p[i], t[i]) / count.</summary>
    public static void MeanGradient(string loss, Tensor predictions, Tensor targets, Tensor gradient, Func<double, double, double> derivative)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.SameShape(loss, predictions, targets, gradient);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        double scale = 1.0 / p.Length;
        for (int i = 0; i < p.Length; i++)
        {
            g[i] = (float)(derivative(p[i], t[i]) * scale);
        }
    }

    /// <summary>The length of a row (the last axis) and the number of rows.</summary>
    public static (int Width, int Rows) RowLayout(Tensor predictions)
    {
        int width = LossChecks.Classes(predictions);
        return (width, predictions.Length / width);
    }
}
