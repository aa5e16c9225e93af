namespace NeuralNet.Kernels;

/// <summary>
/// Keras' <c>circle</c> loss over a batch (keras/src/losses/losses.py), forward and backward, in double precision.
/// embeddings is (n, dim), row-major; labels (n); similarity, the caller's (n, n) scratch, holds the pairwise cosine
/// similarities s_ij = e_i · e_j (the embeddings are used as given: Keras expects them L2-normalised by the model).
/// </summary>
/// <remarks>
/// For anchor i, with d_ij = max(1 − s_ij, 0), the positives j (same label, j ≠ i when the diagonal is removed) and the
/// negatives (another label):
/// a_ij = −γ·max(m + d_ij, 0)·(m − d_ij), b_ij = γ·max(1 + m − d_ij, 0)·(1 − m − d_ij),
/// loss_i = softplus(logsumexp_pos a_ij + logsumexp_neg b_ij); an anchor without a positive or without a negative has
/// loss 0 (Keras' logsumexp over nothing is −∞, and its mask <c>circle_loss &gt; 0</c> drops the row).
/// The gradient flows through the weights max(·, 0) as in Keras (no stop-gradient), and through each maximum when its
/// argument is at least 0 (TensorFlow's tie rule).
/// </remarks>
internal static class CirclePairs
{
    /// <summary>Whether anchor <paramref name="i"/> has at least one positive and one negative: the rows Keras keeps.</summary>
    public static bool HasPairs(ReadOnlySpan<int> labels, int i, bool removeDiagonal)
    {
        bool positive = false, negative = false;
        for (int j = 0; j < labels.Length && !(positive && negative); j++)
        {
            positive |= labels[j] == labels[i] && !(removeDiagonal && j == i);
            negative |= labels[j] != labels[i];
        }

        return positive && negative;
    }

    /// <summary>s = E·Eᵀ, (n, n), accumulated in double.</summary>
    public static void Similarities(ReadOnlySpan<float> embeddings, int n, int dim, Span<double> similarity)
    {
        if (embeddings.Length != n * dim || similarity.Length < n * n)
        {
            throw new ArgumentException("CirclePairs: the embeddings are not (n, dim) or the scratch is smaller than (n, n).", nameof(similarity));
        }

        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> ei = embeddings.Slice(i * dim, dim);
            for (int j = i; j < n; j++)
            {
                ReadOnlySpan<float> ej = embeddings.Slice(j * dim, dim);
                double dot = 0;
                for (int k = 0; k < dim; k++)
                {
                    dot += (double)ei[k] * ej[k];
                }

                similarity[(i * n) + j] = dot;
                similarity[(j * n) + i] = dot;
            }
        }
    }

    /// <summary>
    /// The loss of anchor <paramref name="i"/>, and its pre-softplus value z (−∞ for a dropped row), from the similarities.
    /// </summary>
    public static double RowLoss(ReadOnlySpan<double> similarity, ReadOnlySpan<int> labels, int i, double gamma, double margin, bool removeDiagonal, out double z)
    {
        z = double.NegativeInfinity;
        if (!HasPairs(labels, i, removeDiagonal))
        {
            return 0;
        }

        int n = labels.Length;
        ReadOnlySpan<double> row = similarity.Slice(i * n, n);
        double maxPositive = double.NegativeInfinity, maxNegative = double.NegativeInfinity;
        for (int j = 0; j < n; j++)
        {
            if (IsPositive(labels, i, j, removeDiagonal))
            {
                maxPositive = Math.Max(maxPositive, Positive(row[j], gamma, margin));
            }
            else if (labels[j] != labels[i])
            {
                maxNegative = Math.Max(maxNegative, Negative(row[j], gamma, margin));
            }
        }

        double sumPositive = 0, sumNegative = 0;
        for (int j = 0; j < n; j++)
        {
            if (IsPositive(labels, i, j, removeDiagonal))
            {
                sumPositive += Math.Exp(Positive(row[j], gamma, margin) - maxPositive);
            }
            else if (labels[j] != labels[i])
            {
                sumNegative += Math.Exp(Negative(row[j], gamma, margin) - maxNegative);
            }
        }

        z = maxPositive + Math.Log(sumPositive) + maxNegative + Math.Log(sumNegative);
        return Softplus(z);
    }

    /// <summary>
    /// Overwrites <paramref name="similarity"/> with dL/ds for L = Σ_i rowScale[i]·loss_i (the similarities are read first,
    /// row by row: row i of dL/ds only depends on row i of s), then writes dL/dE = (G + Gᵀ)·E into <paramref name="gradient"/>, (n, dim).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> embeddings, ReadOnlySpan<int> labels, int dim, double gamma, double margin, bool removeDiagonal,
        ReadOnlySpan<double> rowScale, Span<double> similarity, Span<float> gradient)
    {
        int n = labels.Length;
        if (embeddings.Length != n * dim || gradient.Length != n * dim || rowScale.Length != n || similarity.Length < n * n)
        {
            throw new ArgumentException("CirclePairs: the embeddings, labels, row scales, scratch and gradient do not agree in size.", nameof(gradient));
        }

        for (int i = 0; i < n; i++)
        {
            Span<double> row = similarity.Slice(i * n, n);
            _ = RowLoss(similarity, labels, i, gamma, margin, removeDiagonal, out double z);
            double scale = rowScale[i];
            if (double.IsNegativeInfinity(z) || scale == 0)
            {
                row.Clear();
                continue;
            }

            // dloss/dz = sigmoid(z); z's parts are log-sum-exps, whose derivatives are the softmax weights.
            double sigmoid = 1 / (1 + Math.Exp(-z));
            double maxPositive = double.NegativeInfinity, maxNegative = double.NegativeInfinity, sumPositive = 0, sumNegative = 0;
            for (int j = 0; j < n; j++)
            {
                if (IsPositive(labels, i, j, removeDiagonal))
                {
                    maxPositive = Math.Max(maxPositive, Positive(row[j], gamma, margin));
                }
                else if (labels[j] != labels[i])
                {
                    maxNegative = Math.Max(maxNegative, Negative(row[j], gamma, margin));
                }
            }

            for (int j = 0; j < n; j++)
            {
                if (IsPositive(labels, i, j, removeDiagonal))
                {
                    sumPositive += Math.Exp(Positive(row[j], gamma, margin) - maxPositive);
                }
                else if (labels[j] != labels[i])
                {
                    sumNegative += Math.Exp(Negative(row[j], gamma, margin) - maxNegative);
                }
            }

            for (int j = 0; j < n; j++)
            {
                double s = row[j], distance = Math.Max(1 - s, 0), ddds = 1 - s >= 0 ? -1 : 0, slope;
                if (IsPositive(labels, i, j, removeDiagonal))
                {
                    // a = −γ w (m − d), w = max(m + d, 0): da/dd = −γ (w'(m − d) − w).
                    double w = Math.Max(margin + distance, 0), dw = margin + distance >= 0 ? 1 : 0;
                    slope = Math.Exp(Positive(s, gamma, margin) - maxPositive) / sumPositive * (-gamma * ((dw * (margin - distance)) - w));
                }
                else if (labels[j] != labels[i])
                {
                    // b = γ w (1 − m − d), w = max(1 + m − d, 0): db/dd = γ (−w'(1 − m − d) − w), w' = 1 where 1 + m − d ≥ 0.
                    double w = Math.Max(1 + margin - distance, 0), dw = 1 + margin - distance >= 0 ? 1 : 0;
                    slope = Math.Exp(Negative(s, gamma, margin) - maxNegative) / sumNegative * (gamma * ((-dw * (1 - margin - distance)) - w));
                }
                else
                {
                    slope = 0;
                }

                row[j] = scale * sigmoid * slope * ddds;
            }
        }

        // s_ij = e_i · e_j: dL/de_i += G_ij e_j and dL/de_j += G_ij e_i (both for i = j, where ds/de_i = 2 e_i).
        for (int i = 0; i < n; i++)
        {
            Span<float> gi = gradient.Slice(i * dim, dim);
            for (int k = 0; k < dim; k++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++)
                {
                    sum += (similarity[(i * n) + j] + similarity[(j * n) + i]) * embeddings[(j * dim) + k];
                }

                gi[k] = (float)sum;
            }
        }
    }

    /// <summary>softplus(z) = log(1 + e^z), computed without overflow.</summary>
    public static double Softplus(double z) => Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z)));

    private static bool IsPositive(ReadOnlySpan<int> labels, int i, int j, bool removeDiagonal) =>
        labels[j] == labels[i] && !(removeDiagonal && j == i);

    private static double Positive(double s, double gamma, double margin)
    {
        double d = Math.Max(1 - s, 0);
        return -gamma * Math.Max(margin + d, 0) * (margin - d);
    }

    private static double Negative(double s, double gamma, double margin)
    {
        double d = Math.Max(1 - s, 0);
        return gamma * Math.Max(1 + margin - d, 0) * (1 - margin - d);
    }
}
