namespace NeuralNet.Layers;

/// <summary>
/// Keras' approximate quantile summary for <see cref="Discretization"/> (<c>summarize</c>, <c>merge_summaries</c>,
/// <c>compress_summary</c> and <c>get_bin_boundaries</c> in keras/src/layers/preprocessing/discretization.py), step by
/// step with NumPy's arithmetic: a summary is a list of (value, weight) points, float32 as Keras stores them; the
/// compression interpolates values and cumulative weights at evenly spaced cumulative fractions in float64
/// (<c>np.interp</c>).
/// </summary>
internal static class QuantileSummary
{
    /// <summary>
    /// Keras' <c>summarize</c>: the sorted values taken every <c>max(n·ε, 1)</c> positions (truncated to an integer)
    /// from position <c>trunc(n·ε)</c>, each weighted by that (float) step.
    /// </summary>
    public static (float[] Values, float[] Weights) Summarize(ReadOnlySpan<float> data, double epsilon)
    {
        float[] sorted = data.ToArray();
        Array.Sort(sorted);
        int n = sorted.Length;
        double increment = n / (1.0 / epsilon), step = Math.Max(increment, 1.0);
        long start = (long)increment, stride = (long)step;
        var values = new List<float>();
        for (long i = start; i < n; i += stride)
        {
            values.Add(sorted[i]);
        }

        float[] weights = new float[values.Count];
        Array.Fill(weights, (float)step);
        return ([.. values], weights);
    }

    /// <summary>
    /// Keras' <c>merge_summaries(next, previous)</c>: the points of both, <paramref name="next"/>'s first, sorted by value
    /// (stably; NumPy's default argsort is not stable, which matters only for equal values of different weights), then compressed.
    /// </summary>
    public static (float[] Values, float[] Weights) Merge((float[] Values, float[] Weights) next, (float[] Values, float[] Weights) previous, double epsilon)
    {
        int count = next.Values.Length + previous.Values.Length;
        var points = new (float Value, float Weight, int Position)[count];
        for (int i = 0; i < next.Values.Length; i++)
        {
            points[i] = (next.Values[i], next.Weights[i], i);
        }

        for (int i = 0; i < previous.Values.Length; i++)
        {
            points[next.Values.Length + i] = (previous.Values[i], previous.Weights[i], next.Values.Length + i);
        }

        Array.Sort(points, static (a, b) => a.Value != b.Value ? a.Value.CompareTo(b.Value) : a.Position.CompareTo(b.Position));
        return Compress(([.. points.Select(p => p.Value)], [.. points.Select(p => p.Weight)]), epsilon);
    }

    /// <summary>Keras' <c>get_bin_boundaries</c>: the summary compressed to <paramref name="numBins"/> points, without the last.</summary>
    public static float[] BinBoundaries((float[] Values, float[] Weights) summary, int numBins)
    {
        float[] values = Compress(summary, 1.0 / numBins).Values;
        return values.Length == 0 ? [] : values[..^1];
    }

    /// <summary>
    /// Keras' <c>compress_summary</c>: a summary of fewer than 1/ε points is kept; otherwise it becomes the points at the
    /// cumulative weight fractions ε, 2ε, ..., 1 (NumPy's <c>epsilon + arange(0, 1, epsilon)</c>), values and cumulative
    /// weights interpolated linearly, weights the differences of those cumulative weights.
    /// </summary>
    public static (float[] Values, float[] Weights) Compress((float[] Values, float[] Weights) summary, double epsilon)
    {
        int points = summary.Values.Length;
        if (points * epsilon < 1)
        {
            return summary;
        }

        // np.arange(0.0, 1.0, epsilon) has ceil((stop - start) / step) values, start + i * step.
        int length = (int)Math.Ceiling(1.0 / epsilon);

        // NumPy accumulates a float32 array in float32, and the fractions are float32 too.
        var cumulative = new float[points];
        float running = 0f;
        for (int i = 0; i < points; i++)
        {
            running += summary.Weights[i];
            cumulative[i] = running;
        }

        var fractions = new double[points];
        var values = new double[points];
        var cumulativeWide = new double[points];
        for (int i = 0; i < points; i++)
        {
            fractions[i] = cumulative[i] / cumulative[^1];
            values[i] = summary.Values[i];
            cumulativeWide[i] = cumulative[i];
        }

        var newValues = new float[length];
        var newWeights = new float[length];
        double previous = 0;
        for (int i = 0; i < length; i++)
        {
            double percent = epsilon + (0.0 + (i * epsilon));
            newValues[i] = (float)Interpolate(percent, fractions, values);
            double weight = Interpolate(percent, fractions, cumulativeWide);
            newWeights[i] = (float)(weight - previous);
            previous = weight;
        }

        return (newValues, newWeights);
    }

    /// <summary>NumPy's <c>interp(x, xp, fp)</c> for non-decreasing <paramref name="xp"/>, with its handling of the ends, exact hits and non-finite slopes.</summary>
    public static double Interpolate(double x, double[] xp, double[] fp)
    {
        int last = xp.Length - 1;
        if (double.IsNaN(x) || x < xp[0])
        {
            return double.IsNaN(x) ? x : fp[0];
        }

        if (x > xp[last])
        {
            return fp[last];
        }

        // j: the last index with xp[j] <= x.
        int lo = 0, hi = xp.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (xp[mid] <= x)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        int j = lo - 1;
        if (j == last || xp[j] == x)
        {
            return fp[j];
        }

        double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
        double result = (slope * (x - xp[j])) + fp[j];
        if (double.IsNaN(result))
        {
            result = (slope * (x - xp[j + 1])) + fp[j + 1];
            if (double.IsNaN(result) && fp[j] == fp[j + 1])
            {
                result = fp[j];
            }
        }

        return result;
    }
}
