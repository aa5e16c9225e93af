using NeuralNet.Layers;

namespace NeuralNet.Tests.Layers.Volume;

/// <summary>Plain float64 twins of the 3-D layers, written from Keras' formulas independently of the library's geometry code.</summary>
internal static class VolumeReference
{
    /// <summary>Keras' output length and padding before, for one axis: 'valid' ⌊(in − span) / s⌋ + 1, 'same' ⌈in / s⌉ with the odd pad after.</summary>
    public static (int Output, int PadBefore) Axis(int input, int kernel, int stride, int dilation, Padding padding)
    {
        int span = ((kernel - 1) * dilation) + 1;
        if (padding == Padding.Valid)
        {
            return (((input - span) / stride) + 1, 0);
        }

        int output = (input + stride - 1) / stride;
        return (output, Math.Max(((output - 1) * stride) + span - input, 0) / 2);
    }

    /// <summary>y[n, od, oh, ow, f] = act(b[f] + Σ x[n, od·s − p + kd·dil, ..., c] · k[kd, kh, kw, c, f]), zeros outside.</summary>
    public static double[] Conv3D(Tensor x, Tensor kernel, Tensor? bias, (int D, int H, int W) strides, (int D, int H, int W) dilation, Padding padding,
        Func<double, double> activation)
    {
        int batch = x.Shape[0], inD = x.Shape[1], inH = x.Shape[2], inW = x.Shape[3], channels = x.Shape[4];
        int kD = kernel.Shape[0], kH = kernel.Shape[1], kW = kernel.Shape[2], filters = kernel.Shape[4];
        (int oD, int pD) = Axis(inD, kD, strides.D, dilation.D, padding);
        (int oH, int pH) = Axis(inH, kH, strides.H, dilation.H, padding);
        (int oW, int pW) = Axis(inW, kW, strides.W, dilation.W, padding);
        var y = new double[batch * oD * oH * oW * filters];
        int at = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int od = 0; od < oD; od++)
            {
                for (int oh = 0; oh < oH; oh++)
                {
                    for (int ow = 0; ow < oW; ow++)
                    {
                        for (int f = 0; f < filters; f++, at++)
                        {
                            double sum = bias is null ? 0 : bias[f];
                            for (int kd = 0; kd < kD; kd++)
                            {
                                int d = (od * strides.D) - pD + (kd * dilation.D);
                                for (int kh = 0; kh < kH; kh++)
                                {
                                    int h = (oh * strides.H) - pH + (kh * dilation.H);
                                    for (int kw = 0; kw < kW; kw++)
                                    {
                                        int w = (ow * strides.W) - pW + (kw * dilation.W);
                                        if (d < 0 || d >= inD || h < 0 || h >= inH || w < 0 || w >= inW)
                                        {
                                            continue;
                                        }

                                        for (int c = 0; c < channels; c++)
                                        {
                                            sum += (double)x[n, d, h, w, c] * kernel[kd, kh, kw, c, f];
                                        }
                                    }
                                }
                            }

                            y[at] = activation(sum);
                        }
                    }
                }
            }
        }

        return y;
    }

    /// <summary>Max or mean over each window's positions inside the input (Keras' pooling; padded positions ignored).</summary>
    public static double[] Pool3D(Tensor x, (int D, int H, int W) pool, (int D, int H, int W) strides, Padding padding, bool maximum)
    {
        int batch = x.Shape[0], inD = x.Shape[1], inH = x.Shape[2], inW = x.Shape[3], channels = x.Shape[4];
        (int oD, int pD) = Axis(inD, pool.D, strides.D, 1, padding);
        (int oH, int pH) = Axis(inH, pool.H, strides.H, 1, padding);
        (int oW, int pW) = Axis(inW, pool.W, strides.W, 1, padding);
        var y = new double[batch * oD * oH * oW * channels];
        int at = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int od = 0; od < oD; od++)
            {
                for (int oh = 0; oh < oH; oh++)
                {
                    for (int ow = 0; ow < oW; ow++)
                    {
                        for (int c = 0; c < channels; c++, at++)
                        {
                            double best = double.NegativeInfinity, sum = 0;
                            int count = 0;
                            for (int d = (od * strides.D) - pD; d < (od * strides.D) - pD + pool.D; d++)
                            {
                                for (int h = (oh * strides.H) - pH; h < (oh * strides.H) - pH + pool.H; h++)
                                {
                                    for (int w = (ow * strides.W) - pW; w < (ow * strides.W) - pW + pool.W; w++)
                                    {
                                        if (d >= 0 && d < inD && h >= 0 && h < inH && w >= 0 && w < inW)
                                        {
                                            best = Math.Max(best, x[n, d, h, w, c]);
                                            sum += x[n, d, h, w, c];
                                            count++;
                                        }
                                    }
                                }
                            }

                            y[at] = maximum ? best : sum / count;
                        }
                    }
                }
            }
        }

        return y;
    }
}
