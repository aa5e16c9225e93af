using NeuralNet.Activations;

namespace NeuralNet.Layers;

/// <summary>
/// One sample's LSTM gate arithmetic, shared by the <see cref="Lstm"/> layer and <see cref="LstmCell"/>: gate blocks
/// i, f, c, o (Keras' order) of z = x·W + h·U + b, c = f·c_prev + i·act(z_c), h = o·act(c).
/// </summary>
internal static class LstmGates
{
    /// <summary>a (4·units) = the gates' activations of z: σ for i, f, o; act for the candidate.</summary>
    public static void Activate(ReadOnlySpan<float> z, Span<float> a, int u, ActivationFunction activation, ActivationFunction recurrentActivation)
    {
        recurrentActivation.Forward(z[..u], a[..u], u);
        recurrentActivation.Forward(z.Slice(u, u), a.Slice(u, u), u);
        activation.Forward(z.Slice(2 * u, u), a.Slice(2 * u, u), u);
        recurrentActivation.Forward(z.Slice(3 * u, u), a.Slice(3 * u, u), u);
    }

    /// <summary>c = f·c_prev + i·g, tc = act(c), h = o·tc, from the activated gates a.</summary>
    public static void Combine(ReadOnlySpan<float> a, ReadOnlySpan<float> previousCell, Span<float> c, Span<float> tc, Span<float> h, int u, ActivationFunction activation)
    {
        for (int j = 0; j < u; j++)
        {
            float previous = previousCell[j];
            c[j] = (a[u + j] * previous) + (a[j] * a[(2 * u) + j]);
        }

        activation.Forward(c, tc, u);
        for (int j = 0; j < u; j++)
        {
            h[j] = a[(3 * u) + j] * tc[j];
        }
    }

    /// <summary>
    /// The reverse of <see cref="Activate"/> and <see cref="Combine"/>: from dh (the whole gradient of h; overwritten, it
    /// is scratch) and dc (the gradient carried into c; replaced by the previous cell's), writes dz (4·units); da is
    /// (4·units) scratch.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> c, ReadOnlySpan<float> tc, ReadOnlySpan<float> previousCell,
        Span<float> dh, Span<float> dc, Span<float> da, Span<float> dz, int u, ActivationFunction activation, ActivationFunction recurrentActivation)
    {
        Span<float> dtc = da.Slice(2 * u, u);
        for (int j = 0; j < u; j++)
        {
            da[(3 * u) + j] = dh[j] * tc[j];
            dtc[j] = dh[j] * a[(3 * u) + j];
        }

        // dc = act'(c)·dtc + the carried dc; dtc's slot is reused for dc before it becomes dg.
        Span<float> dcOwn = dh;
        activation.Backward(c, tc, dtc, dcOwn, u);
        for (int j = 0; j < u; j++)
        {
            float dcj = dcOwn[j] + dc[j];
            float previous = previousCell[j];
            da[j] = dcj * a[(2 * u) + j];
            da[u + j] = dcj * previous;
            da[(2 * u) + j] = dcj * a[j];
            dc[j] = dcj * a[u + j];
        }

        recurrentActivation.Backward(z[..u], a[..u], da[..u], dz[..u], u);
        recurrentActivation.Backward(z.Slice(u, u), a.Slice(u, u), da.Slice(u, u), dz.Slice(u, u), u);
        activation.Backward(z.Slice(2 * u, u), a.Slice(2 * u, u), da.Slice(2 * u, u), dz.Slice(2 * u, u), u);
        recurrentActivation.Backward(z.Slice(3 * u, u), a.Slice(3 * u, u), da.Slice(3 * u, u), dz.Slice(3 * u, u), u);
    }
}
