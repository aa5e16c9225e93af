using NeuralNet.Layers;
using RecurrentLayer = NeuralNet.Layers.Recurrent;

namespace NeuralNet.Tests.Layers.Sequences;

/// <summary>
/// Keras' cell formulas as plain float64 loops over one sample at a time, with tanh and the logistic sigmoid, reading the
/// layer's weights: the reference the recurrent layers are compared with.
/// </summary>
internal static class RecurrentReference
{
    /// <summary>
    /// The output of <paramref name="layer"/> (tanh / sigmoid activations) for <paramref name="input"/> (batch, steps, features),
    /// starting from <paramref name="h0"/> / <paramref name="c0"/> (batch, units) when given, else zeros; the states after
    /// the last step are appended to <paramref name="finalH"/> / <paramref name="finalC"/> when given.
    /// </summary>
    public static float[] Forward(RecurrentLayer layer, Tensor input, Tensor? h0 = null, Tensor? c0 = null, List<float>? finalH = null, List<float>? finalC = null, Tensor? recurrentMasks = null)
    {
        int batch = input.Shape[0], steps = input.Shape[1], features = input.Shape[2], u = layer.Units;
        double[] w = Doubles(layer.Kernel.Value), rw = Doubles(layer.RecurrentKernel.Value);
        double[] bias = layer.Bias is { } b ? Doubles(b.Value) : new double[layer.Bias is null && layer is Gru { ResetAfter: true } ? 6 * u : 4 * u * 2];
        int width = layer.Kernel.Shape[1];
        var output = new List<float>();
        for (int n = 0; n < batch; n++)
        {
            var h = new double[u];
            var c = new double[u];
            for (int j = 0; j < u; j++)
            {
                h[j] = h0 is null ? 0 : h0[n, j];
                c[j] = c0 is null ? 0 : c0[n, j];
            }
            for (int s = 0; s < steps; s++)
            {
                int t = layer.GoBackwards ? steps - 1 - s : s;
                var x = new double[features];
                for (int f = 0; f < features; f++)
                {
                    x[f] = input[n, t, f];
                }

                double[] xw = Product(x, w, width);
                double[][] hGate = GateViews(h, recurrentMasks, n, width / u, u);
                double[] hu = GateProduct(hGate, rw, width, u);
                h = layer switch
                {
                    SimpleRnn => SimpleRnnStep(xw, hu, bias, u),
                    Lstm => LstmStep(xw, hu, bias, c, u),
                    Gru gru => GruStep(xw, h, hGate, rw, bias, gru.ResetAfter, u, width),
                    _ => throw new NotSupportedException(layer.GetType().Name),
                };
                if (layer.ReturnSequences)
                {
                    output.AddRange(h.Select(v => (float)v));
                }
            }

            if (!layer.ReturnSequences)
            {
                output.AddRange(h.Select(v => (float)v));
            }

            finalH?.AddRange(h.Select(v => (float)v));
            finalC?.AddRange(c.Select(v => (float)v));
        }

        return [.. output];
    }

    private static double[] SimpleRnnStep(double[] xw, double[] hu, double[] bias, int u) =>
        [.. Enumerable.Range(0, u).Select(j => Math.Tanh(xw[j] + bias[j] + hu[j]))];

    // c is updated in place.
    private static double[] LstmStep(double[] xw, double[] hu, double[] bias, double[] c, int u)
    {
        var h = new double[u];
        for (int j = 0; j < u; j++)
        {
            double i = Sigmoid(xw[j] + hu[j] + bias[j]);
            double f = Sigmoid(xw[u + j] + hu[u + j] + bias[u + j]);
            double g = Math.Tanh(xw[(2 * u) + j] + hu[(2 * u) + j] + bias[(2 * u) + j]);
            double o = Sigmoid(xw[(3 * u) + j] + hu[(3 * u) + j] + bias[(3 * u) + j]);
            c[j] = (f * c[j]) + (i * g);
            h[j] = o * Math.Tanh(c[j]);
        }

        return h;
    }

    // Keras' recurrent dropout: gate g's product reads h through mask g (h itself when there are no masks).
    private static double[][] GateViews(double[] h, Tensor? masks, int n, int gates, int u) =>
        [.. Enumerable.Range(0, gates).Select(g => masks is null ? h : h.Select((v, j) => v * masks[n, g, j]).ToArray())];

    private static double[] GateProduct(double[][] hGate, double[] rw, int width, int u)
    {
        var y = new double[width];
        for (int g = 0; g < hGate.Length; g++)
        {
            double[] full = Product(hGate[g], rw, width);
            Array.Copy(full, g * u, y, g * u, u);
        }

        return y;
    }

    private static double[] GruStep(double[] xw, double[] h, double[][] hGate, double[] rw, double[] bias, bool resetAfter, int u, int width)
    {
        var next = new double[u];
        double[] inputBias = bias[..width], recurrentBias = resetAfter ? bias[width..] : new double[width];
        double[] hu = GateProduct(hGate, rw, width, u);
        var z = new double[u];
        var r = new double[u];
        for (int j = 0; j < u; j++)
        {
            z[j] = Sigmoid(xw[j] + inputBias[j] + hu[j] + recurrentBias[j]);
            r[j] = Sigmoid(xw[u + j] + inputBias[u + j] + hu[u + j] + recurrentBias[u + j]);
        }

        var rh = new double[u];
        for (int j = 0; j < u; j++)
        {
            rh[j] = r[j] * hGate[2][j];
        }

        double[] rhu = Product(rh, rw, width);
        for (int j = 0; j < u; j++)
        {
            double candidate = resetAfter
                ? xw[(2 * u) + j] + inputBias[(2 * u) + j] + (r[j] * (hu[(2 * u) + j] + recurrentBias[(2 * u) + j]))
                : xw[(2 * u) + j] + inputBias[(2 * u) + j] + rhu[(2 * u) + j];
            next[j] = (z[j] * h[j]) + ((1 - z[j]) * Math.Tanh(candidate));
        }

        return next;
    }

    private static double[] Product(double[] x, double[] w, int width)
    {
        var y = new double[width];
        for (int i = 0; i < x.Length; i++)
        {
            for (int j = 0; j < width; j++)
            {
                y[j] += x[i] * w[(i * width) + j];
            }
        }

        return y;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double[] Doubles(Tensor t) => [.. t.ToArray().Select(v => (double)v)];
}
