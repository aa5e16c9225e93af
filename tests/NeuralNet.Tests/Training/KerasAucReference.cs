using NeuralNet.Training;

namespace NeuralNet.Tests.Training;

/// <summary>
/// Keras' AUC transcribed plainly for tests, from keras/src/metrics/metrics_utils.py and confusion_metrics.py: counts by
/// <c>_update_confusion_matrix_variables_optimized</c> for evenly spaced thresholds (p clipped to [0, 1], bucket
/// max(ceil(p (n − 1)) − 1, 0) in float32, reversed cumulative sums) or by comparing with each float32 threshold
/// otherwise; then <c>AUC.result()</c>: Riemann sums, <c>interpolate_pr_auc</c> for PR with interpolation, and the
/// (label-weighted) mean of the labels' areas with <c>multi_label</c>: divide_no_nan(sum(area · label_weights),
/// sum(label_weights)), label_weights broadcast against the labels (one weight serving them all).
/// </summary>
internal static class KerasAucReference
{
    /// <summary>The AUC of (rows, columns) predictions, every element one prediction unless <paramref name="multiLabel"/>.</summary>
    public static double Result(
        float[] predictions, float[] targets, int rows, float[] sampleWeights, double[] thresholds, bool evenlySpaced,
        AucCurve curve, AucSummationMethod method, bool multiLabel, double[]? labelWeights, bool fromLogits)
    {
        int columns = predictions.Length / rows;
        int labels = multiLabel ? columns : 1;
        double total = 0;
        for (int label = 0; label < labels; label++)
        {
            var counts = new Counts(thresholds.Length);
            for (int i = 0; i < predictions.Length; i++)
            {
                int column = i % columns;
                if (multiLabel && column != label)
                {
                    continue;
                }

                float p = fromLogits ? 1f / (1f + MathF.Exp(-predictions[i])) : predictions[i];
                double w = sampleWeights[i / columns] * (!multiLabel && labelWeights is not null ? Broadcast(labelWeights, column) : 1);
                counts.Add(p, targets[i] != 0, w, thresholds, evenlySpaced);
            }

            double labelWeight = multiLabel && labelWeights is not null ? Broadcast(labelWeights, label) : 1;
            total += labelWeight * counts.Area(curve, method);
        }

        double weightSum = labelWeights is null ? labels : labelWeights.Sum();
        return !multiLabel ? total : weightSum == 0 ? 0 : total / weightSum;
    }

    private static double Broadcast(double[] weights, int index) => weights.Length == 1 ? weights[0] : weights[index];

    private sealed class Counts(int n)
    {
        private readonly double[] _tp = new double[n], _fp = new double[n], _fn = new double[n];
        private double _positives, _negatives;

        public void Add(float p, bool actual, double w, double[] thresholds, bool evenlySpaced)
        {
            (actual ? ref _positives : ref _negatives) += w;
            for (int k = 0; k < n; k++)
            {
                bool above = evenlySpaced
                    ? k <= Math.Max((int)MathF.Ceiling(Math.Clamp(p, 0f, 1f) * (float)(n - 1)) - 1, 0)
                    : p > (float)thresholds[k];
                if (above)
                {
                    (actual ? _tp : _fp)[k] += w;
                }
                else if (actual)
                {
                    _fn[k] += w;
                }
            }
        }

        public double Area(AucCurve curve, AucSummationMethod method)
        {
            double area = 0;
            for (int k = 0; k < n - 1; k++)
            {
                if (curve == AucCurve.PR && method == AucSummationMethod.Interpolation)
                {
                    // interpolate_pr_auc.
                    double dtp = _tp[k] - _tp[k + 1], p0 = _tp[k] + _fp[k], p1 = _tp[k + 1] + _fp[k + 1];
                    double slope = NoNan(dtp, Math.Max(p0 - p1, 0));
                    double intercept = _tp[k + 1] - (slope * p1);
                    double ratio = p0 > 0 && p1 > 0 ? NoNan(p0, Math.Max(p1, 0)) : 1;
                    area += NoNan(slope * (dtp + (intercept * Math.Log(ratio))), Math.Max(_tp[k + 1] + _fn[k + 1], 0));
                    continue;
                }

                (double x0, double y0) = Point(curve, k);
                (double x1, double y1) = Point(curve, k + 1);
                double height = method switch
                {
                    AucSummationMethod.Interpolation => (y0 + y1) / 2,
                    AucSummationMethod.Minoring => Math.Min(y0, y1),
                    _ => Math.Max(y0, y1),
                };
                area += (x0 - x1) * height;
            }

            return area;
        }

        private (double X, double Y) Point(AucCurve curve, int k)
        {
            double recall = NoNan(_tp[k], _positives), fpRate = NoNan(_fp[k], _negatives), precision = NoNan(_tp[k], _tp[k] + _fp[k]);
            return curve == AucCurve.Roc ? (fpRate, recall) : (recall, precision);
        }

        private static double NoNan(double a, double b) => b == 0 ? 0 : a / b;
    }
}
