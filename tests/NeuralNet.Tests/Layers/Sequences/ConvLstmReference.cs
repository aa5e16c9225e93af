namespace NeuralNet.Tests.Layers.Sequences;

/// <summary>
/// Keras' ConvLSTMCell equations in float64, written plainly from keras/src/layers/rnn/conv_lstm.py (ConvLSTMCell.call,
/// input_conv, recurrent_conv) over 3-D channels-last frames (the 1-D and 2-D layers are frames with unit leading axes):
/// z = conv(x_t, W; strides, padding, dilation) + b + conv(h, U; 'same', stride 1), gates (i, f, c, o).
/// </summary>
internal static class ConvLstmReference
{
    public sealed record Result(double[][] Hidden, double[] LastHidden, double[] LastCell);

    /// <summary>Runs the layer over x (batch, steps, d, h, w, c); returns each step's h (in the order run) and the final states.</summary>
    public static Result Run(float[] x, int batch, int steps, (int D, int H, int W) frame, int channels, int filters, float[] kernel, float[] recurrent,
        float[]? bias, (int D, int H, int W) k, (int D, int H, int W) s, (int D, int H, int W) dilation, bool same, bool goBackwards,
        float[]? h0 = null, float[]? c0 = null, float[]? inputMasks = null, float[]? stateMasks = null)
    {
        (int D, int H, int W) o = (Out(frame.D, k.D, s.D, dilation.D, same), Out(frame.H, k.H, s.H, dilation.H, same), Out(frame.W, k.W, s.W, dilation.W, same));
        int stateSize = o.D * o.H * o.W * filters, frameSize = frame.D * frame.H * frame.W * channels, w = 4 * filters;
        var hidden = new double[steps][];
        double[] h = h0 is null ? new double[batch * stateSize] : [.. h0.Select(v => (double)v)];
        double[] c = c0 is null ? new double[batch * stateSize] : [.. c0.Select(v => (double)v)];
        for (int step = 0; step < steps; step++)
        {
            int t = goBackwards ? steps - 1 - step : step;
            var hNext = new double[batch * stateSize];
            var cNext = new double[batch * stateSize];
            for (int b = 0; b < batch; b++)
            {
                // Keras' dropout: gate g reads x · dp_mask[g] and h · rec_dp_mask[g] (masks (4, batch, ...) here).
                var zx = new double[4][];
                var zh = new double[4][];
                for (int gate = 0; gate < 4; gate++)
                {
                    double[] frameX = new double[frameSize], state = new double[stateSize];
                    for (int e = 0; e < frameSize; e++)
                    {
                        frameX[e] = x[(((b * steps) + t) * frameSize) + e] * (inputMasks is null ? 1.0 : inputMasks[(((gate * batch) + b) * frameSize) + e]);
                    }

                    for (int e = 0; e < stateSize; e++)
                    {
                        state[e] = h[(b * stateSize) + e] * (stateMasks is null ? 1.0 : stateMasks[(((gate * batch) + b) * stateSize) + e]);
                    }

                    zx[gate] = Conv(frameX, frame, channels, kernel, k, s, dilation, same, w);
                    zh[gate] = Conv(state, o, filters, recurrent, k, (1, 1, 1), (1, 1, 1), true, w);
                }

                for (int p = 0; p < o.D * o.H * o.W; p++)
                {
                    for (int j = 0; j < filters; j++)
                    {
                        double Z(int gate) => zx[gate][(p * w) + (gate * filters) + j] + zh[gate][(p * w) + (gate * filters) + j] + (bias is null ? 0 : bias[(gate * filters) + j]);
                        double i = Sigmoid(Z(0)), f = Sigmoid(Z(1)), g = Math.Tanh(Z(2)), og = Sigmoid(Z(3));
                        int at = (b * stateSize) + (p * filters) + j;
                        cNext[at] = (f * c[at]) + (i * g);
                        hNext[at] = og * Math.Tanh(cNext[at]);
                    }
                }
            }

            h = hNext;
            c = cNext;
            hidden[step] = h;
        }

        return new Result(hidden, h, c);
    }

    /// <summary>Keras' output size of one axis.</summary>
    public static int Out(int input, int kernel, int stride, int dilation, bool same)
    {
        int span = ((kernel - 1) * dilation) + 1;
        return same ? (input + stride - 1) / stride : ((input - span) / stride) + 1;
    }

    // y[od, oh, ow, n] = Σ x[od·s − pad + kd·dil, ...] · kernel[kd, kh, kw, c, n], zeros outside; pad = Keras' 'same' pad before.
    private static double[] Conv(double[] x, (int D, int H, int W) size, int channels, float[] kernel, (int D, int H, int W) k, (int D, int H, int W) s,
        (int D, int H, int W) dilation, bool same, int outputs)
    {
        int od = Out(size.D, k.D, s.D, dilation.D, same), oh = Out(size.H, k.H, s.H, dilation.H, same), ow = Out(size.W, k.W, s.W, dilation.W, same);
        int pd = Pad(size.D, k.D, s.D, dilation.D, same), ph = Pad(size.H, k.H, s.H, dilation.H, same), pw = Pad(size.W, k.W, s.W, dilation.W, same);
        var y = new double[od * oh * ow * outputs];
        for (int a = 0; a < od; a++)
        {
            for (int bb = 0; bb < oh; bb++)
            {
                for (int cc = 0; cc < ow; cc++)
                {
                    for (int kd = 0; kd < k.D; kd++)
                    {
                        for (int kh = 0; kh < k.H; kh++)
                        {
                            for (int kw = 0; kw < k.W; kw++)
                            {
                                int id = (a * s.D) - pd + (kd * dilation.D), ih = (bb * s.H) - ph + (kh * dilation.H), iw = (cc * s.W) - pw + (kw * dilation.W);
                                if (id < 0 || id >= size.D || ih < 0 || ih >= size.H || iw < 0 || iw >= size.W)
                                {
                                    continue;
                                }

                                for (int ch = 0; ch < channels; ch++)
                                {
                                    double v = x[((((id * size.H) + ih) * size.W) + iw) * channels + ch];
                                    for (int n = 0; n < outputs; n++)
                                    {
                                        y[((((a * oh) + bb) * ow) + cc) * outputs + n] += v * kernel[((((((kd * k.H) + kh) * k.W) + kw) * channels) + ch) * outputs + n];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        return y;
    }

    private static int Pad(int input, int kernel, int stride, int dilation, bool same)
    {
        if (!same)
        {
            return 0;
        }

        int span = ((kernel - 1) * dilation) + 1, output = (input + stride - 1) / stride;
        return Math.Max(((output - 1) * stride) + span - input, 0) / 2;
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
}
