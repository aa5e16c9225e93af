namespace NeuralNet.Kernels;

/// <summary>
/// Connectionist temporal classification (Graves et al., 2006) for one sample: the negative log-likelihood of a label
/// sequence under per-step class scores, summed over every alignment, and its gradient with respect to the scores.
/// </summary>
/// <remarks>
/// <code>
/// logits, gradient: (steps, classes)     labels: (L)     logProbs: (steps, classes)     alpha, beta: (steps, 2L + 1)
/// logProbs = log_softmax(logits) per step; extended sequence e = blank, l0, blank, l1, ..., blank (S = 2L + 1)
/// alpha[t, s] = logsumexp(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2] if s is odd and l[(s-1)/2] != l[(s-3)/2]) + logProbs[t, e_s]
/// loss = -logsumexp(alpha[T-1, S-1], alpha[T-1, S-2]); beta mirrors alpha from the end
/// gradient[t, k] = softmax[t, k] - sum over s with e_s = k of exp(alpha[t, s] + beta[t, s] - logProbs[t, e_s] + loss)
/// </code>
/// <para>States are positions in the extended sequence, not class values, as in Keras' backends (optax's formulation):
/// a label equal to the blank class is a label position like any other, which is what Keras' own CTC test feeds.</para>
/// <para>The arithmetic is float64 in log space, so long sequences neither underflow nor lose the small alignments. An
/// impossible label (too long for the steps) has probability 0: the loss is +∞ and the gradient 0.</para>
/// </remarks>
internal static class CtcLattice
{
    /// <summary>The extended sequence's length for <paramref name="labelLength"/> labels.</summary>
    public static int States(int labelLength) => (2 * labelLength) + 1;

    /// <summary>
    /// The fewest steps that can emit <paramref name="labels"/>: one per label, plus one blank between each pair of
    /// equal neighbours.
    /// </summary>
    public static int MinimumSteps(ReadOnlySpan<int> labels)
    {
        int steps = labels.Length;
        for (int n = 1; n < labels.Length; n++)
        {
            if (labels[n] == labels[n - 1])
            {
                steps++;
            }
        }

        return steps;
    }

    /// <summary>The loss of one sample; <paramref name="logProbs"/> (steps × classes) and <paramref name="alpha"/> (steps × states) are scratch.</summary>
    public static double Loss(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels, int blank, Span<double> logProbs, Span<double> alpha)
    {
        int steps = Validate(logits.Length, classes, labels, blank, logProbs.Length, alpha.Length);
        LogSoftmax(logits, classes, logProbs);
        return -Forward(logProbs, classes, steps, labels, blank, alpha);
    }

    /// <summary>
    /// The loss of one sample; overwrites <paramref name="gradient"/> (steps × classes) with <paramref name="scale"/> times
    /// d loss / d logits. <paramref name="logProbs"/>, <paramref name="alpha"/> and <paramref name="beta"/> are scratch.
    /// </summary>
    public static double LossAndGradient(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels, int blank, double scale,
        Span<double> logProbs, Span<double> alpha, Span<double> beta, Span<float> gradient)
    {
        int steps = Validate(logits.Length, classes, labels, blank, logProbs.Length, alpha.Length);
        if (beta.Length < alpha.Length || gradient.Length != logits.Length)
        {
            throw new ArgumentException("The beta scratch must be as long as alpha's and the gradient as long as the logits.");
        }

        LogSoftmax(logits, classes, logProbs);
        double logLikelihood = Forward(logProbs, classes, steps, labels, blank, alpha);
        if (double.IsNegativeInfinity(logLikelihood))
        {
            gradient.Clear();
            return double.PositiveInfinity;
        }

        if (steps == 0)
        {
            return -logLikelihood;
        }

        Backward(logProbs, classes, steps, labels, blank, beta);
        int states = States(labels.Length);
        for (int t = 0; t < steps; t++)
        {
            ReadOnlySpan<double> lp = logProbs.Slice(t * classes, classes);
            Span<float> g = gradient.Slice(t * classes, classes);
            for (int k = 0; k < classes; k++)
            {
                g[k] = (float)(scale * Math.Exp(lp[k]));
            }

            ReadOnlySpan<double> a = alpha.Slice(t * states, states), b = beta.Slice(t * states, states);
            for (int s = 0; s < states; s++)
            {
                double joint = a[s] + b[s];
                if (!double.IsNegativeInfinity(joint))
                {
                    int k = Symbol(labels, blank, s);
                    g[k] -= (float)(scale * Math.Exp(joint - lp[k] - logLikelihood));
                }
            }
        }

        return -logLikelihood;
    }

    /// <summary>
    /// The plain definition, for tests: −log of the summed probability of every path of classes whose collapse (repeats
    /// merged, then blanks removed) is <paramref name="labels"/>, by enumerating all classes^steps paths in float64.
    /// </summary>
    public static double ReferenceLoss(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels, int blank)
    {
        int steps = logits.Length / classes;
        double[] logProbs = new double[logits.Length];
        LogSoftmax(logits, classes, logProbs);
        int[] path = new int[steps];
        var collapsed = new List<int>(steps);
        double total = 0;
        long paths = (long)Math.Pow(classes, steps);
        for (long index = 0; index < paths; index++)
        {
            long rest = index;
            for (int t = 0; t < steps; t++)
            {
                path[t] = (int)(rest % classes);
                rest /= classes;
            }

            collapsed.Clear();
            for (int t = 0; t < steps; t++)
            {
                if (path[t] != blank && (t == 0 || path[t] != path[t - 1]))
                {
                    collapsed.Add(path[t]);
                }
            }

            if (System.Runtime.InteropServices.CollectionsMarshal.AsSpan(collapsed).SequenceEqual(labels))
            {
                double logProbability = 0;
                for (int t = 0; t < steps; t++)
                {
                    logProbability += logProbs[(t * classes) + path[t]];
                }

                total += Math.Exp(logProbability);
            }
        }

        return -Math.Log(total);
    }

    private static int Validate(int logits, int classes, ReadOnlySpan<int> labels, int blank, int logProbs, int alpha)
    {
        if (classes <= 0 || logits % classes != 0 || (uint)blank >= (uint)classes)
        {
            throw new ArgumentException($"CTC: {logits} scores do not form rows of {classes} classes with blank {blank}.");
        }

        int steps = logits / classes;
        if (logProbs < logits || alpha < (long)steps * States(labels.Length))
        {
            throw new ArgumentException("CTC: the scratch spans are too short.");
        }

        foreach (int label in labels)
        {
            if ((uint)label >= (uint)classes)
            {
                throw new ArgumentException($"CTC: label {label} is not a class index in [0, {classes}).");
            }
        }

        return steps;
    }

    /// <summary>log_softmax of each row of <paramref name="classes"/> scores, in float64.</summary>
    public static void LogSoftmax(ReadOnlySpan<float> logits, int classes, Span<double> logProbs)
    {
        for (int row = 0; row < logits.Length; row += classes)
        {
            ReadOnlySpan<float> z = logits.Slice(row, classes);
            double max = double.NegativeInfinity;
            foreach (float v in z)
            {
                max = Math.Max(max, v);
            }

            double sum = 0;
            foreach (float v in z)
            {
                sum += Math.Exp(v - max);
            }

            double logSum = max + Math.Log(sum);
            Span<double> lp = logProbs.Slice(row, classes);
            for (int k = 0; k < classes; k++)
            {
                lp[k] = z[k] - logSum;
            }
        }
    }

    // The class at extended position s: blank at even positions, label (s - 1) / 2 at odd ones.
    private static int Symbol(ReadOnlySpan<int> labels, int blank, int s) => (s & 1) == 0 ? blank : labels[s >> 1];

    // Whether the path may jump over the blank into label position s (odd): only between different labels.
    private static bool CanSkipInto(ReadOnlySpan<int> labels, int s) => (s & 1) == 1 && s >= 3 && labels[s >> 1] != labels[(s >> 1) - 1];

    /// <summary>Fills alpha and returns the log-likelihood of the labels (−∞ when no alignment fits the steps).</summary>
    private static double Forward(ReadOnlySpan<double> logProbs, int classes, int steps, ReadOnlySpan<int> labels, int blank, Span<double> alpha)
    {
        int states = States(labels.Length);
        if (steps == 0)
        {
            return labels.IsEmpty ? 0 : double.NegativeInfinity;
        }

        Span<double> first = alpha[..states];
        first.Fill(double.NegativeInfinity);
        first[0] = logProbs[blank];
        if (states > 1)
        {
            first[1] = logProbs[labels[0]];
        }

        for (int t = 1; t < steps; t++)
        {
            ReadOnlySpan<double> previous = alpha.Slice((t - 1) * states, states);
            Span<double> current = alpha.Slice(t * states, states);
            ReadOnlySpan<double> lp = logProbs.Slice(t * classes, classes);
            for (int s = 0; s < states; s++)
            {
                double sum = previous[s];
                if (s >= 1)
                {
                    sum = LogAddExp(sum, previous[s - 1]);
                }

                if (CanSkipInto(labels, s))
                {
                    sum = LogAddExp(sum, previous[s - 2]);
                }

                current[s] = sum + lp[Symbol(labels, blank, s)];
            }
        }

        ReadOnlySpan<double> last = alpha.Slice((steps - 1) * states, states);
        return states > 1 ? LogAddExp(last[states - 1], last[states - 2]) : last[0];
    }

    /// <summary>Fills beta: beta[t, s] is the log-probability of finishing from state s at step t, step t's emission included.</summary>
    private static void Backward(ReadOnlySpan<double> logProbs, int classes, int steps, ReadOnlySpan<int> labels, int blank, Span<double> beta)
    {
        int states = States(labels.Length);
        Span<double> last = beta.Slice((steps - 1) * states, states);
        ReadOnlySpan<double> lastLp = logProbs.Slice((steps - 1) * classes, classes);
        last.Fill(double.NegativeInfinity);
        last[states - 1] = lastLp[blank];
        if (states > 1)
        {
            last[states - 2] = lastLp[labels[^1]];
        }

        for (int t = steps - 2; t >= 0; t--)
        {
            ReadOnlySpan<double> next = beta.Slice((t + 1) * states, states);
            Span<double> current = beta.Slice(t * states, states);
            ReadOnlySpan<double> lp = logProbs.Slice(t * classes, classes);
            for (int s = 0; s < states; s++)
            {
                double sum = next[s];
                if (s + 1 < states)
                {
                    sum = LogAddExp(sum, next[s + 1]);
                }

                if (s + 2 < states && CanSkipInto(labels, s + 2))
                {
                    sum = LogAddExp(sum, next[s + 2]);
                }

                current[s] = sum + lp[Symbol(labels, blank, s)];
            }
        }
    }

    /// <summary>log(exp(a) + exp(b)), exact when either is −∞.</summary>
    public static double LogAddExp(double a, double b)
    {
        if (double.IsNegativeInfinity(a))
        {
            return b;
        }

        if (double.IsNegativeInfinity(b))
        {
            return a;
        }

        return a > b ? a + double.LogP1(Math.Exp(b - a)) : b + double.LogP1(Math.Exp(a - b));
    }
}
