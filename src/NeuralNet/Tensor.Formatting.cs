using System.Globalization;
using System.Text;

namespace NeuralNet;

public sealed partial class Tensor
{
    // numpy elides arrays above 1000 elements and keeps 3 entries at each end of an axis.
    private const int ElisionThreshold = 1000;
    private const int EdgeItems = 3;

    /// <summary>
    /// Formats the tensor like numpy: nested brackets, and for more than 1,000 elements only the first and
    /// last three entries of each axis with <c>...</c> between, followed by the shape. As numpy, every value is written in
    /// scientific notation (<c>1e-05</c>) when a nonzero one is below 1e-4 or one is 1e8 or more in magnitude, so that
    /// small weights and gradients do not print as 0.
    /// </summary>
    public override string ToString()
    {
        var sb = new StringBuilder("tensor(");
        bool elide = Length > ElisionThreshold;
        AppendAxis(sb, 0, 0, elide, indent: 7, NeedsScientific(AsReadOnlySpan()) ? ScientificFormat : FixedFormat);
        sb.Append(", shape=").Append(Shape).Append(')');
        return sb.ToString();
    }

    private void AppendAxis(StringBuilder sb, int axis, int flatStart, bool elide, int indent, string format)
    {
        ReadOnlySpan<float> data = AsReadOnlySpan();
        if (Rank == 0)
        {
            sb.Append(FormatValue(data[0], format));
            return;
        }

        int length = Shape[axis];
        int stride = 1;
        for (int a = axis + 1; a < Rank; a++)
        {
            stride *= Shape[a];
        }

        sb.Append('[');
        bool last = axis == Rank - 1;
        for (int i = 0; i < length; i++)
        {
            if (elide && length > 2 * EdgeItems && i == EdgeItems)
            {
                sb.Append(last ? "..., " : "...,\n" + new string(' ', indent + axis + 1));
                i = length - EdgeItems - 1;
                continue;
            }

            if (last)
            {
                sb.Append(FormatValue(data[flatStart + i], format));
            }
            else
            {
                AppendAxis(sb, axis + 1, flatStart + (i * stride), elide, indent, format);
            }

            if (i < length - 1)
            {
                sb.Append(last ? ", " : ",\n" + new string(' ', indent + axis + 1));
            }
        }

        sb.Append(']');
    }

    private const string FixedFormat = "0.####";
    private const string ScientificFormat = "0.####e+00";

    private static string FormatValue(float value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    // numpy's rule (its array printing's suppress=False default): scientific when the finite nonzero magnitudes reach
    // 1e8 or go below 1e-4.
    private static bool NeedsScientific(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            float magnitude = MathF.Abs(v);
            if (float.IsFinite(magnitude) && magnitude != 0f && (magnitude < 1e-4f || magnitude >= 1e8f))
            {
                return true;
            }
        }

        return false;
    }
}
