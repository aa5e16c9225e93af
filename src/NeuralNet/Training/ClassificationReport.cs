using System.Globalization;
using System.Text;

namespace NeuralNet.Training;

/// <summary>
/// Formats per-class precision, recall, F1 and support like scikit-learn's <c>classification_report</c>, followed by
/// the accuracy, macro-average and support-weighted-average rows.
/// </summary>
public static class ClassificationReport
{
    private const string WeightedAverage = "weighted avg";

    /// <summary>Formats the report for <paramref name="matrix"/>.</summary>
    /// <param name="matrix">The confusion matrix.</param>
    /// <param name="classNames">Row labels, one per class; the class indices when null.</param>
    /// <param name="digits">Digits after the decimal point, 0 to 10.</param>
    /// <exception cref="ArgumentException"><paramref name="classNames"/> does not have one name per class.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="digits"/> is outside [0, 10].</exception>
    public static string Format(ConfusionMatrix matrix, IReadOnlyList<string>? classNames = null, int digits = 2)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentOutOfRangeException.ThrowIfNegative(digits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(digits, 10);
        int classes = matrix.ClassCount;
        if (classNames is not null && classNames.Count != classes)
        {
            throw new ArgumentException($"classNames has {classNames.Count} names but the matrix has {classes} classes.", nameof(classNames));
        }

        string Name(int c) => classNames?[c] ?? c.ToString(CultureInfo.InvariantCulture);
        int width = WeightedAverage.Length;
        for (int c = 0; c < classes; c++)
        {
            width = Math.Max(width, Name(c).Length);
        }

        width = Math.Max(width, digits);
        string number = "F" + digits.ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append(new string(' ', width)).Append(' ');
        foreach (string header in (string[])["precision", "recall", "f1-score", "support"])
        {
            sb.Append(' ').Append(header.PadLeft(9));
        }

        sb.Append("\n\n");
        double macroP = 0, macroR = 0, macroF = 0, weightedP = 0, weightedR = 0, weightedF = 0;
        long total = matrix.Total;
        for (int c = 0; c < classes; c++)
        {
            double p = matrix.Precision(c), r = matrix.Recall(c), f = matrix.F1Score(c);
            long support = matrix.Support(c);
            Row(sb, Name(c), width, number, p, r, f, support);
            macroP += p;
            macroR += r;
            macroF += f;
            weightedP += p * support;
            weightedR += r * support;
            weightedF += f * support;
        }

        sb.Append('\n');
        sb.Append("accuracy".PadLeft(width)).Append(' ')
            .Append(new string(' ', 20))
            .Append(' ').Append(matrix.Accuracy.ToString(number, CultureInfo.InvariantCulture).PadLeft(9))
            .Append(' ').Append(total.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
        Row(sb, "macro avg", width, number, macroP / classes, macroR / classes, macroF / classes, total);
        double denominator = total == 0 ? 1 : total;
        Row(sb, WeightedAverage, width, number, weightedP / denominator, weightedR / denominator, weightedF / denominator, total);
        return sb.ToString();
    }

    private static void Row(StringBuilder sb, string name, int width, string number, double p, double r, double f, long support)
    {
        sb.Append(name.PadLeft(width)).Append(' ');
        foreach (double value in (double[])[p, r, f])
        {
            sb.Append(' ').Append(value.ToString(number, CultureInfo.InvariantCulture).PadLeft(9));
        }

        sb.Append(' ').Append(support.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
    }
}
