namespace NeuralNet.Losses;

/// <summary>
/// The loops the losses share, with Keras' reduction <c>sum_over_batch_size</c>: a loss defined element by element is the mean
/// over every element (the mean over the last axis, then over the samples and steps); a loss defined on rows (the last
/// axis) is the mean of the rows' values. Gradients are the derivatives of those means. The per-sample forms average the
/// same values over each sample's elements or rows, so that their mean over the batch is the batch mean.
/// </summary>
internal static class LossLoops
{
    /// <summary>mean over i of value(p[i], t[i]), in float64.</summary>
    public static float Mean(string loss, Tensor predictions, Tensor targets, Func<double, double, double> value) =>
        Mean(loss, predictions, targets, new FunctionLoss(value));

    /// <summary>destination[s] = mean of value(p[i], t[i]) over the elements i of sample s.</summary>
    public static void MeanPerSample(string loss, Tensor predictions, Tensor targets, Span<float> destination, Func<double, double, double> value) =>
        MeanPerSample(loss, predictions, targets, destination, new FunctionLoss(value));

    /// <summary>gradient[i] = derivative(p[i], t[i]) / count.</summary>
    public static void MeanGradient(string loss, Tensor predictions, Tensor targets, Tensor gradient, Func<double, double, double> derivative) =>
        MeanGradient(loss, predictions, targets, gradient, new FunctionLoss(derivative));

    /// <summary>mean over i of op.Value(p[i], t[i]), in float64 (a struct operator, so that settings need no closure).</summary>
    public static float Mean<TLoss>(string loss, Tensor predictions, Tensor targets, TLoss op)
        where TLoss : struct, IElementLoss
    {
        LossChecks.SameShape(loss, predictions, targets);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        return (float)(Sum(p, t, op) / p.Length);
    }

    /// <summary>destination[s] = mean of op.Value(p[i], t[i]) over the elements i of sample s.</summary>
    public static void MeanPerSample<TLoss>(string loss, Tensor predictions, Tensor targets, Span<float> destination, TLoss op)
        where TLoss : struct, IElementLoss
    {
        LossChecks.SameShape(loss, predictions, targets);
        int samples = Samples(loss, predictions, destination);
        if (samples == 0)
        {
            return;
        }

        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        int size = p.Length / samples;
        for (int s = 0; s < samples; s++)
        {
            destination[s] = (float)(Sum(p.Slice(s * size, size), t.Slice(s * size, size), op) / size);
        }
    }

    /// <summary>gradient[i] = op.Value(p[i], t[i]) / count, where op computes the element's derivative.</summary>
    public static void MeanGradient<TDerivative>(string loss, Tensor predictions, Tensor targets, Tensor gradient, TDerivative derivative)
        where TDerivative : struct, IElementLoss
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.SameShape(loss, predictions, targets, gradient);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        double scale = 1.0 / p.Length;
        for (int i = 0; i < p.Length; i++)
        {
            g[i] = (float)(derivative.Value(p[i], t[i]) * scale);
        }
    }

    /// <summary>
    /// The mean over rows of op.Value(row) for predictions in rows of <paramref name="width"/> and targets in rows of
    /// <paramref name="targetWidth"/> (the same width, or 1 for class indices).
    /// </summary>
    public static float RowMean<TLoss>(Tensor predictions, Tensor targets, int width, int targetWidth, TLoss op)
        where TLoss : struct, IRowLoss
    {
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        int rows = p.Length / width;
        return (float)(RowSum(p, t, 0, rows, width, targetWidth, op) / rows);
    }

    /// <summary>destination[s] = the mean of op.Value(row) over the rows of sample s.</summary>
    public static void RowMeanPerSample<TLoss>(string loss, Tensor predictions, Tensor targets, int width, int targetWidth, Span<float> destination, TLoss op)
        where TLoss : struct, IRowLoss
    {
        int samples = Samples(loss, predictions, destination);
        if (samples == 0)
        {
            return;
        }

        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        int rowsPerSample = p.Length / width / samples;
        for (int s = 0; s < samples; s++)
        {
            destination[s] = (float)(RowSum(p, t, s * rowsPerSample, rowsPerSample, width, targetWidth, op) / rowsPerSample);
        }
    }

    /// <summary>The length of a row (the last axis) and the number of rows.</summary>
    public static (int Width, int Rows) RowLayout(Tensor predictions)
    {
        int width = LossChecks.Classes(predictions);
        return (width, predictions.Length / width);
    }

    /// <summary>The number of samples (the first axis; 1 for a scalar), which must be the length of <paramref name="destination"/>.</summary>
    public static int Samples(string loss, Tensor predictions, Span<float> destination)
    {
        int samples = predictions.Rank == 0 ? 1 : predictions.Shape[0];
        if (destination.Length != samples)
        {
            throw new ArgumentException(
                $"{loss}: destination holds {destination.Length} values but the batch {predictions.Shape} has {samples} samples; pass one value per sample.",
                nameof(destination));
        }

        return samples;
    }

    private static double Sum<TLoss>(ReadOnlySpan<float> p, ReadOnlySpan<float> t, TLoss op)
        where TLoss : struct, IElementLoss
    {
        double total = 0;
        for (int i = 0; i < p.Length; i++)
        {
            total += op.Value(p[i], t[i]);
        }

        return total;
    }

    private static double RowSum<TLoss>(ReadOnlySpan<float> p, ReadOnlySpan<float> t, int firstRow, int rows, int width, int targetWidth, TLoss op)
        where TLoss : struct, IRowLoss
    {
        double total = 0;
        for (int r = firstRow; r < firstRow + rows; r++)
        {
            total += op.Value(r, p.Slice(r * width, width), t.Slice(r * targetWidth, targetWidth));
        }

        return total;
    }

    /// <summary>A loss or derivative of one element given as a delegate (the settings-free losses pass static lambdas, cached once).</summary>
    private readonly struct FunctionLoss(Func<double, double, double> value) : IElementLoss
    {
        public double Value(double prediction, double target) => value(prediction, target);
    }
}
