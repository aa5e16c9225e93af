using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Keras' <c>GRUCell</c>, gate blocks z, r, h: z = σ(x_z + h·U_z), r = σ(x_r + h·U_r); with <see cref="ResetAfter"/> (Keras 3's
/// default) ĥ = act(x_h + r·(h·U_h + recurrent bias)) and bias (2, 3·units), else ĥ = act(x_h + (r·h)·U_h) and bias
/// (3·units); h_new = z·h + (1 − z)·ĥ. Run it with <see cref="Rnn"/>. <see cref="Gru"/> computes the same on a faster
/// path, except in training with <c>recurrent_dropout</c>: this cell drops the state with one mask for all three gates,
/// the layer with one per gate (see <see cref="GatedRnnCell.RecurrentDropout"/>).
/// </summary>
public sealed class GruCell : GatedRnnCell
{
    private float[] _preActivations = [];
    private float[] _gates = [];
    private float[] _recurrent = [];
    private float[] _resetStates = [];
    private float[] _g = [];
    private float[] _dz = [];
    private float[] _dr = [];
    private float[] _dReset = [];

    /// <summary>Creates the cell.</summary>
    /// <param name="units">The size of the state and of the output.</param>
    /// <param name="activation">The candidate activation; tanh when null.</param>
    /// <param name="recurrentActivation">The gates' activation; sigmoid when null.</param>
    /// <param name="useBias">Whether the cell has a bias.</param>
    /// <param name="kernelInitializer">The kernel's initializer; glorot_uniform when null.</param>
    /// <param name="recurrentInitializer">The recurrent kernel's initializer; orthogonal when null.</param>
    /// <param name="biasInitializer">The bias' initializer; zeros when null.</param>
    /// <param name="kernelRegularizer">The kernel's penalty, if any.</param>
    /// <param name="recurrentRegularizer">The recurrent kernel's penalty, if any.</param>
    /// <param name="biasRegularizer">The bias' penalty, if any.</param>
    /// <param name="dropout">The fraction of the inputs dropped in training, in [0, 1).</param>
    /// <param name="recurrentDropout">The fraction of the previous state dropped before the recurrent products in training, in [0, 1).</param>
    /// <param name="resetAfter">Whether the reset gate multiplies the recurrent product (Keras 3's default) rather than the state before it.</param>
    /// <param name="seed">The dropout seed; null to use the model's.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="units"/> is below 1, or a rate is outside [0, 1).</exception>
    public GruCell(int units, ActivationFunction? activation = null, ActivationFunction? recurrentActivation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? recurrentInitializer = null, Initializer? biasInitializer = null,
        Regularizer? kernelRegularizer = null, Regularizer? recurrentRegularizer = null, Regularizer? biasRegularizer = null,
        double dropout = 0, double recurrentDropout = 0, bool resetAfter = true, long? seed = null)
        : base(units, 3, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, kernelRegularizer, recurrentRegularizer,
            biasRegularizer, dropout, recurrentDropout, seed)
    {
        RecurrentActivation = recurrentActivation ?? ActivationFunction.Sigmoid;
        ResetAfter = resetAfter;
    }

    /// <summary>The gates' activation (sigmoid unless given).</summary>
    public ActivationFunction RecurrentActivation { get; }

    /// <summary>Whether the reset gate applies after the recurrent product (bias (2, 3·units)).</summary>
    public bool ResetAfter { get; }

    /// <inheritdoc/>
    public override string TypeName => "GRUCell";

    /// <inheritdoc/>
    private protected override TensorShape BiasShape => ResetAfter ? new TensorShape(2, Width) : new TensorShape(Width);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("recurrent_activation", RecurrentActivation)
        .Set("reset_after", ResetAfter);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static GruCell FromConfig(Config config)
    {
        int units = config.GetInt32("units", minimum: 1);
        Config d = config.WithDefaults(new GruCell(units).GetConfig());
        return new(units, d.GetActivation("activation"), d.GetActivation("recurrent_activation"), d.GetBoolean("use_bias"), d.GetInitializer("kernel_initializer"),
            d.GetInitializer("recurrent_initializer"), d.GetInitializer("bias_initializer"), d.GetRegularizer("kernel_regularizer"),
            d.GetRegularizer("recurrent_regularizer"), d.GetRegularizer("bias_regularizer"), d.GetDouble("dropout"), d.GetDouble("recurrent_dropout"),
            d.GetBoolean("reset_after"), d.GetNullableInt64("seed"))
        {
            KernelConstraint = d.GetConstraint("kernel_constraint"),
            RecurrentConstraint = d.GetConstraint("recurrent_constraint"),
            BiasConstraint = d.GetConstraint("bias_constraint"),
        };
    }

    /// <inheritdoc/>
    private protected override void PrepareSteps(int batch, int steps)
    {
        Cache(ref _preActivations, steps, batch, Width);
        Cache(ref _gates, steps, batch, Width);
        Cache(ref _recurrent, steps, batch, Width);
        Cache(ref _resetStates, steps, batch, Units);
        Cache(ref _g, 1, batch, Units);
        Cache(ref _dz, 1, batch, Width);
        Cache(ref _dr, 1, batch, Width);
        Cache(ref _dReset, 1, batch, Units);
    }

    /// <inheritdoc/>
    public override void Forward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, Span<float> output, Span<float> newStates)
    {
        int u = Units, w = Width;
        Span<float> z = StepBlock(_preActivations, step, batch, w), a = StepBlock(_gates, step, batch, w);
        ReadOnlySpan<float> dropped = Projections.DroppedState(batch, states[..(batch * u)]);
        Projections.InputProduct(batch, input, z);
        if (ResetAfter)
        {
            Span<float> rec = StepBlock(_recurrent, step, batch, w);
            Projections.RecurrentProduct(batch, dropped, 0, w, 0f, rec, w);
            for (int b = 0; b < batch; b++)
            {
                Span<float> r = rec.Slice(b * w, w);
                if (UseBias)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(r, Bias!.Value.AsReadOnlySpan()[w..], r);
                }

                System.Numerics.Tensors.TensorPrimitives.Add(z.Slice(b * w, 2 * u), r[..(2 * u)], z.Slice(b * w, 2 * u));
            }
        }
        else
        {
            Projections.RecurrentProduct(batch, dropped, 0, 2 * u, 1f, z, w);
        }

        Span<float> resetStates = StepBlock(_resetStates, step, batch, u);
        for (int b = 0; b < batch; b++)
        {
            Span<float> zb = z.Slice(b * w, w), ab = a.Slice(b * w, w);
            RecurrentActivation.Forward(zb[..u], ab[..u], u);
            RecurrentActivation.Forward(zb.Slice(u, u), ab.Slice(u, u), u);
            if (ResetAfter)
            {
                ReadOnlySpan<float> rh = StepBlock(_recurrent, step, batch, w).Slice((b * w) + (2 * u), u);
                for (int j = 0; j < u; j++)
                {
                    zb[(2 * u) + j] += ab[u + j] * rh[j];
                }
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(ab.Slice(u, u), dropped.Slice(b * u, u), resetStates.Slice(b * u, u));
            }
        }

        if (!ResetAfter)
        {
            Projections.RecurrentProduct(batch, resetStates, 2 * u, u, 1f, z[(2 * u)..], w);
        }

        Span<float> h = newStates[..(batch * u)];
        for (int b = 0; b < batch; b++)
        {
            Span<float> ab = a.Slice(b * w, w);
            ReadOnlySpan<float> previous = states.Slice(b * u, u);
            Activation.Forward(z.Slice((b * w) + (2 * u), u), ab.Slice(2 * u, u), u);
            for (int j = 0; j < u; j++)
            {
                h[(b * u) + j] = (ab[j] * previous[j]) + ((1f - ab[j]) * ab[(2 * u) + j]);
            }
        }

        h.CopyTo(output);
    }

    /// <inheritdoc/>
    public override void Backward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, ReadOnlySpan<float> newStates,
        ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> newStateGradients, Span<float> inputGradient, Span<float> stateGradients)
    {
        int u = Units, w = Width, n = batch * u;
        ReadOnlySpan<float> z = StepBlock(_preActivations, step, batch, w), a = StepBlock(_gates, step, batch, w);
        Span<float> g = _g.AsSpan(0, n), dz = _dz.AsSpan(0, batch * w), dr = _dr.AsSpan(0, batch * w), dPrevious = stateGradients[..n];
        System.Numerics.Tensors.TensorPrimitives.Add(outputGradient[..n], newStateGradients[..n], g);

        // h = z·h_prev + (1 − z)·ĥ: the update gate's and the candidate's gradients, and h_prev's direct share.
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> ab = a.Slice(b * w, w), previous = states.Slice(b * u, u);
            Span<float> da = dr.Slice(b * w, w);
            for (int j = 0; j < u; j++)
            {
                float gj = g[(b * u) + j];
                da[j] = gj * (previous[j] - ab[(2 * u) + j]);
                da[(2 * u) + j] = gj * (1f - ab[j]);
                dPrevious[(b * u) + j] = gj * ab[j];
            }

            Activation.Backward(z.Slice((b * w) + (2 * u), u), ab.Slice(2 * u, u), da.Slice(2 * u, u), dz.Slice((b * w) + (2 * u), u), u);
        }

        ReadOnlySpan<float> dropped = Projections.DroppedState(batch, states[..n]);
        Span<float> dReset = _dReset.AsSpan(0, n);
        if (!ResetAfter)
        {
            dReset.Clear();
            Projections.RecurrentBackward(batch, StepBlock(_resetStates, step, batch, u), dz[(2 * u)..], w, 2 * u, u, dReset, throughMask: false);
        }

        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> ab = a.Slice(b * w, w), zb = z.Slice(b * w, w);
            Span<float> da = dr.Slice(b * w, w), dzb = dz.Slice(b * w, w);
            if (ResetAfter)
            {
                ReadOnlySpan<float> rh = StepBlock(_recurrent, step, batch, w).Slice((b * w) + (2 * u), u);
                System.Numerics.Tensors.TensorPrimitives.Multiply(dzb.Slice(2 * u, u), rh, da.Slice(u, u));
            }
            else
            {
                // d(r·h_dropped): r's share here, h's below through the state mask.
                System.Numerics.Tensors.TensorPrimitives.Multiply(dReset.Slice(b * u, u), dropped.Slice(b * u, u), da.Slice(u, u));
                System.Numerics.Tensors.TensorPrimitives.Multiply(dReset.Slice(b * u, u), ab.Slice(u, u), dReset.Slice(b * u, u));
            }

            RecurrentActivation.Backward(zb[..u], ab[..u], da[..u], dzb[..u], u);
            RecurrentActivation.Backward(zb.Slice(u, u), ab.Slice(u, u), da.Slice(u, u), dzb.Slice(u, u), u);
            if (ResetAfter)
            {
                // The recurrent product's gradient: the z and r blocks as the inputs', r·dĥ for the candidate block.
                dzb[..(2 * u)].CopyTo(da[..(2 * u)]);
                System.Numerics.Tensors.TensorPrimitives.Multiply(dzb.Slice(2 * u, u), ab.Slice(u, u), da.Slice(2 * u, u));
            }
        }

        Projections.InputBackward(batch, input, dz, inputGradient);
        if (ResetAfter)
        {
            if (UseBias)
            {
                Span<float> recurrentBiasGradient = Bias!.Gradient.AsSpan()[w..];
                for (int b = 0; b < batch; b++)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(recurrentBiasGradient, dr.Slice(b * w, w), recurrentBiasGradient);
                }
            }

            Projections.RecurrentBackward(batch, dropped, dr, w, 0, w, dPrevious, throughMask: true);
        }
        else
        {
            Projections.AddThroughStateMask(batch, dReset, dPrevious);
            Projections.RecurrentBackward(batch, dropped, dz, w, 0, 2 * u, dPrevious, throughMask: true);
        }
    }
}
