using NeuralNet.Training.EventFiles.Protobuf;

namespace NeuralNet.Training.EventFiles;

/// <summary>
/// A histogram as TensorFlow 2's <c>tf.summary.histogram</c> bins it: 30 buckets of equal width from the smallest to the
/// largest value, a value on an inner edge counted in the bucket above it, the maximum in the last (one bucket of width 1
/// around the value when all are equal), stored as TensorBoard's <c>HistogramProto</c>, which TensorBoard reads as
/// buckets from limit[i - 1] (the minimum for the first) to limit[i]. Non-finite values are left out and counted nowhere.
/// </summary>
internal static class HistogramSummary
{
    /// <summary>TensorFlow 2's default number of buckets.</summary>
    public const int Buckets = 30;

    public static HistogramProto Create(ReadOnlySpan<float> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0, squares = 0;
        long count = 0;
        foreach (float v in values)
        {
            if (float.IsFinite(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
                sum += v;
                squares += (double)v * v;
                count++;
            }
        }

        var histogram = new HistogramProto { Num = count, Sum = sum, SumSquares = squares };
        if (count == 0)
        {
            return histogram;
        }

        histogram.Min = min;
        histogram.Max = max;
        if (min == max)
        {
            // TensorFlow's singular case: one bucket centred on the value.
            histogram.Min = min - 0.5;
            histogram.Max = max + 0.5;
            histogram.BucketLimit.Add(max + 0.5);
            histogram.Bucket.Add(count);
            return histogram;
        }

        double width = (max - min) / Buckets;
        var counts = new double[Buckets];
        foreach (float v in values)
        {
            if (float.IsFinite(v))
            {
                // TensorFlow's floor((v - min) / width), then settled against the edges written below, which rounding
                // may put a hair's breadth away; the last bucket takes the maximum.
                int i = Math.Min((int)((v - min) / width), Buckets - 1);
                while (i > 0 && v < Edge(min, width, i))
                {
                    i--;
                }

                while (i < Buckets - 1 && v >= Edge(min, width, i + 1))
                {
                    i++;
                }

                counts[i]++;
            }
        }

        for (int i = 0; i < Buckets; i++)
        {
            histogram.BucketLimit.Add(i == Buckets - 1 ? max : Edge(min, width, i + 1));
            histogram.Bucket.Add(counts[i]);
        }

        return histogram;
    }

    // The left edge of bucket i.
    private static double Edge(double min, double width, int i) => min + (i * width);
}
