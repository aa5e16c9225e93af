using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

/// <summary>
/// Group normalization (Keras' <c>GroupNormalization</c>): forward, backward and a float64 reference twin.
/// </summary>
/// <remarks>
/// <code>
/// x, xhat, y, dy, dx: (batch, outer, channels, inner), the channel axis split into groups of cpg = channels / groups
/// gamma, beta: (channels) or empty     invStd: (batch, groups)
/// A group of a sample is `outer` contiguous blocks of L = cpg * inner values: x[b, o, g*cpg .. (g+1)*cpg, :].
/// forward:  mean, var (biased) over the group's outer * L values; xhat = (x - mean) * invStd; y = gamma[c] * xhat + beta[c]
/// backward: dgamma[c] += sum dy * xhat; dbeta[c] += sum dy; h = dy * gamma[c]
///           dx = invStd * (h - mean(h) - xhat * mean(h * xhat)), means over the group
/// </code>
/// </remarks>
internal static class GroupNorm
{
    /// <summary>The sizes of a (batch, outer, channels, inner) layout split into groups.</summary>
    internal readonly record struct Geometry(int Batch, int Outer, int Channels, int Inner, int Groups)
    {
        public int ChannelsPerGroup => Channels / Groups;

        public int Block => ChannelsPerGroup * Inner;

        public int Sample => Outer * Channels * Inner;

        public int Offset(int b, int o, int g) => (b * Sample) + (((o * Channels) + (g * ChannelsPerGroup)) * Inner);
    }

    /// <summary>Normalizes each group; gamma/beta empty mean 1/0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Geometry s, float epsilon,
        Span<float> xhat, Span<float> invStd, Span<float> y)
    {
        Validate(x.Length, s);
        int block = s.Block, count = s.Outer * block;
        for (int b = 0; b < s.Batch; b++)
        {
            for (int g = 0; g < s.Groups; g++)
            {
                float sum = 0f;
                for (int o = 0; o < s.Outer; o++)
                {
                    sum += TensorPrimitives.Sum(x.Slice(s.Offset(b, o, g), block));
                }

                float mean = sum / count, squares = 0f;
                for (int o = 0; o < s.Outer; o++)
                {
                    int at = s.Offset(b, o, g);
                    Span<float> h = xhat.Slice(at, block);
                    TensorPrimitives.Subtract(x.Slice(at, block), mean, h);
                    squares += TensorPrimitives.SumOfSquares(h);
                }

                float inv = 1f / MathF.Sqrt((squares / count) + epsilon);
                invStd[(b * s.Groups) + g] = inv;
                for (int o = 0; o < s.Outer; o++)
                {
                    int at = s.Offset(b, o, g);
                    Span<float> h = xhat.Slice(at, block);
                    TensorPrimitives.Multiply(h, inv, h);
                    Affine(h, gamma, beta, g * s.ChannelsPerGroup, s.Inner, y.Slice(at, block));
                }
            }
        }
    }

    /// <summary>Accumulates gammaGradient and betaGradient (skipped when empty) and overwrites inputGradient; scratch holds one block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma, ReadOnlySpan<float> invStd,
        Geometry s, Span<float> scratch, Span<float> gammaGradient, Span<float> betaGradient, Span<float> inputGradient)
    {
        Validate(outputGradient.Length, s);
        int block = s.Block, count = s.Outer * block, cpg = s.ChannelsPerGroup;
        Span<float> h = scratch[..block];
        for (int b = 0; b < s.Batch; b++)
        {
            for (int g = 0; g < s.Groups; g++)
            {
                float sumH = 0f, sumHx = 0f;
                for (int o = 0; o < s.Outer; o++)
                {
                    int at = s.Offset(b, o, g);
                    ReadOnlySpan<float> dy = outputGradient.Slice(at, block), xh = xhat.Slice(at, block);
                    ParameterGradients(dy, xh, g * cpg, s.Inner, gammaGradient, betaGradient);
                    ScaleByGamma(dy, gamma, g * cpg, s.Inner, h);
                    sumH += TensorPrimitives.Sum(h);
                    sumHx += TensorPrimitives.Dot(h, xh);
                }

                float meanH = sumH / count, meanHx = sumHx / count, inv = invStd[(b * s.Groups) + g];
                for (int o = 0; o < s.Outer; o++)
                {
                    int at = s.Offset(b, o, g);
                    ScaleByGamma(outputGradient.Slice(at, block), gamma, g * cpg, s.Inner, h);
                    Span<float> dx = inputGradient.Slice(at, block);
                    TensorPrimitives.MultiplyAdd(xhat.Slice(at, block), -meanHx, h, dx);
                    TensorPrimitives.Subtract(dx, meanH, dx);
                    TensorPrimitives.Multiply(dx, inv, dx);
                }
            }
        }
    }

    /// <summary>Reference twin of <see cref="Forward"/> in float64: index arithmetic straight from the definition.</summary>
    public static void ForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Geometry s, double epsilon, Span<double> y)
    {
        int cpg = s.ChannelsPerGroup;
        for (int b = 0; b < s.Batch; b++)
        {
            for (int g = 0; g < s.Groups; g++)
            {
                double sum = 0, squares = 0;
                int n = 0;
                foreach (int i in Indices(s, b, g))
                {
                    sum += x[i];
                    n++;
                }

                double mean = sum / n;
                foreach (int i in Indices(s, b, g))
                {
                    squares += (x[i] - mean) * (x[i] - mean);
                }

                double inv = 1.0 / Math.Sqrt((squares / n) + epsilon);
                foreach (int i in Indices(s, b, g))
                {
                    int c = i / s.Inner % s.Channels;
                    double hat = (x[i] - mean) * inv;
                    y[i] = (gamma.IsEmpty ? hat : gamma[c] * hat) + (beta.IsEmpty ? 0 : beta[c]);
                }
            }
        }

        static IEnumerable<int> Indices(Geometry s, int b, int g)
        {
            for (int o = 0; o < s.Outer; o++)
            {
                for (int c = g * s.ChannelsPerGroup; c < (g + 1) * s.ChannelsPerGroup; c++)
                {
                    for (int i = 0; i < s.Inner; i++)
                    {
                        yield return (b * s.Sample) + (((o * s.Channels) + c) * s.Inner) + i;
                    }
                }
            }
        }
    }

    // y = gamma[c] * xhat + beta[c] over one block of cpg channels starting at firstChannel, each a run of `inner` values.
    private static void Affine(ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int firstChannel, int inner, Span<float> y)
    {
        int channels = xhat.Length / inner;
        if (inner == 1)
        {
            LayerNorm.Affine(xhat, gamma.IsEmpty ? default : gamma.Slice(firstChannel, channels), beta.IsEmpty ? default : beta.Slice(firstChannel, channels), y);
            return;
        }

        for (int k = 0; k < channels; k++)
        {
            ReadOnlySpan<float> run = xhat.Slice(k * inner, inner);
            Span<float> target = y.Slice(k * inner, inner);
            TensorPrimitives.Multiply(run, gamma.IsEmpty ? 1f : gamma[firstChannel + k], target);
            TensorPrimitives.Add(target, beta.IsEmpty ? 0f : beta[firstChannel + k], target);
        }
    }

    // h = dy * gamma[c] over one block.
    private static void ScaleByGamma(ReadOnlySpan<float> dy, ReadOnlySpan<float> gamma, int firstChannel, int inner, Span<float> h)
    {
        if (gamma.IsEmpty)
        {
            dy.CopyTo(h);
            return;
        }

        int channels = dy.Length / inner;
        if (inner == 1)
        {
            TensorPrimitives.Multiply(dy, gamma.Slice(firstChannel, channels), h);
            return;
        }

        for (int k = 0; k < channels; k++)
        {
            TensorPrimitives.Multiply(dy.Slice(k * inner, inner), gamma[firstChannel + k], h.Slice(k * inner, inner));
        }
    }

    // dgamma[c] += sum dy * xhat; dbeta[c] += sum dy over one block.
    private static void ParameterGradients(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, int firstChannel, int inner, Span<float> gammaGradient, Span<float> betaGradient)
    {
        int channels = dy.Length / inner;
        if (inner == 1)
        {
            if (!gammaGradient.IsEmpty)
            {
                Span<float> dg = gammaGradient.Slice(firstChannel, channels);
                TensorPrimitives.MultiplyAdd(dy, xhat, dg, dg);
            }

            if (!betaGradient.IsEmpty)
            {
                Span<float> db = betaGradient.Slice(firstChannel, channels);
                TensorPrimitives.Add(db, dy, db);
            }

            return;
        }

        for (int k = 0; k < channels; k++)
        {
            ReadOnlySpan<float> dyRun = dy.Slice(k * inner, inner);
            if (!gammaGradient.IsEmpty)
            {
                gammaGradient[firstChannel + k] += TensorPrimitives.Dot(dyRun, xhat.Slice(k * inner, inner));
            }

            if (!betaGradient.IsEmpty)
            {
                betaGradient[firstChannel + k] += TensorPrimitives.Sum(dyRun);
            }
        }
    }

    private static void Validate(int length, Geometry s)
    {
        if (s.Groups <= 0 || s.Channels % s.Groups != 0 || (long)s.Batch * s.Sample != length)
        {
            throw new ArgumentException($"GroupNorm: {length} values do not fit {s}.");
        }
    }
}
