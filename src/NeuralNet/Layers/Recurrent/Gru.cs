using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Gated recurrent unit (Keras' <c>GRU</c>), gate blocks z, r, h in Keras' order: z = σ(x·W_z + h·U_z + b), r = σ(x·W_r + h·U_r + b),
/// h' = z·h + (1 − z)·act(ĥ). With <see cref="ResetAfter"/> (Keras 3's default) ĥ = x·W_h + b_x + r·(h·U_h + b_h) and the bias is
/// (2, 3·units), the input bias then the recurrent bias; without it ĥ = x·W_h + (r·h)·U_h + b and the bias is (3·units).
/// </summary>
/// <remarks>Weights as Keras lays them out: kernel (features, 3·units), recurrent_kernel (units, 3·units). Activation tanh and
/// recurrent activation sigmoid (the exact logistic) unless given.</remarks>
/// <example><c>model.Add(new Gru(64, returnSequences: true));</c></example>
public sealed class Gru : Recurrent
{
    private Tensor? _gates;
    private Tensor? _recurrentProducts;
    private Tensor? _resetStates;
    private Tensor? _nextState;
    private Tensor? _recurrentGradients;
    private Tensor? _resetStateGradients;

    /// <summary>Creates a GRU layer.</summary>
    /// <param name="units">The size of the state and of the output.</param>
    /// <param name="activation">The candidate's activation; tanh when null.</param>
    /// <param name="recurrentActivation">The gates' activation; sigmoid when null.</param>
    /// <param name="useBias">Whether the layer has a bias.</param>
    /// <param name="kernelInitializer">The kernel's initializer; glorot_uniform when null.</param>
    /// <param name="recurrentInitializer">The recurrent kernel's initializer; orthogonal when null.</param>
    /// <param name="biasInitializer">The bias' initializer; zeros when null.</param>
    /// <param name="kernelRegularizer">The kernel's penalty, if any.</param>
    /// <param name="recurrentRegularizer">The recurrent kernel's penalty, if any.</param>
    /// <param name="biasRegularizer">The bias' penalty, if any.</param>
    /// <param name="returnSequences">Whether to return every step's state (batch, timesteps, units) rather than the last.</param>
    /// <param name="goBackwards">Whether to run from the last time step to the first.</param>
    /// <param name="resetAfter">Whether the reset gate applies after the recurrent product (Keras 3's default, with two biases).</param>
    /// <param name="name">The layer's name; null to have the model name it <c>gru</c>, <c>gru_1</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="units"/> is below 1.</exception>
    public Gru(int units, ActivationFunction? activation = null, ActivationFunction? recurrentActivation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? recurrentInitializer = null, Initializer? biasInitializer = null,
        Regularizer? kernelRegularizer = null, Regularizer? recurrentRegularizer = null, Regularizer? biasRegularizer = null,
        bool returnSequences = false, bool goBackwards = false, bool resetAfter = true, string? name = null)
        : base(units, 3, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, kernelRegularizer,
            recurrentRegularizer, biasRegularizer, returnSequences, goBackwards, name)
    {
        RecurrentActivation = recurrentActivation ?? ActivationFunction.Sigmoid;
        ResetAfter = resetAfter;
    }

    /// <summary>The gates' activation (sigmoid unless given).</summary>
    public ActivationFunction RecurrentActivation { get; }

    /// <summary>Whether the reset gate applies after the recurrent product (two biases) rather than before it.</summary>
    public bool ResetAfter { get; }

    /// <inheritdoc/>
    public override string TypeName => "GRU";

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "gru";

    /// <inheritdoc/>
    private protected override TensorShape BiasShape => ResetAfter ? new TensorShape(2, Width) : new TensorShape(Width);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("recurrent_activation", RecurrentActivation)
        .Set("reset_after", ResetAfter);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Gru FromConfig(Config config)
    {
        int units = config.GetInt32("units", minimum: 1);
        Config d = config.WithDefaults(new Gru(units).GetConfig());
        return new(units, d.GetActivation("activation"), d.GetActivation("recurrent_activation"), d.GetBoolean("use_bias"),
            d.GetInitializer("kernel_initializer"), d.GetInitializer("recurrent_initializer"), d.GetInitializer("bias_initializer"),
            d.GetRegularizer("kernel_regularizer"), d.GetRegularizer("recurrent_regularizer"), d.GetRegularizer("bias_regularizer"),
            d.GetBoolean("return_sequences"), d.GetBoolean("go_backwards"), d.GetBoolean("reset_after"), config.GetString("name"))
        {
            ZeroOutputForMask = d.GetBoolean("zero_output_for_mask"),
            KernelConstraint = d.GetConstraint("kernel_constraint"),
            RecurrentConstraint = d.GetConstraint("recurrent_constraint"),
            BiasConstraint = d.GetConstraint("bias_constraint"),
            Dropout = d.GetDouble("dropout"),
            DropoutSeed = d.GetNullableInt64("seed"),
            ReturnState = d.GetBoolean("return_state"),
            RecurrentDropout = d.GetDouble("recurrent_dropout"),
            Stateful = d.GetBoolean("stateful"),
        };
    }

    private ReadOnlySpan<float> RecurrentBias => UseBias && ResetAfter ? Bias!.Value.AsReadOnlySpan()[Width..] : default;

    /// <inheritdoc/>
    private protected override void PrepareSteps(int batch, int steps)
    {
        Scratch(ref _gates, batch, StepsByWidth);
        Scratch(ref _recurrentProducts, batch, StepsByWidth);
        Scratch(ref _resetStates, batch, StepsByUnits);
    }

    /// <inheritdoc/>
    private protected override void ForwardStep(int batch, int steps, int s, int t, Span<float> projected, Span<float> states)
    {
        int u = Units, w = Width;
        Span<float> gates = _gates!.AsSpan(), recurrent = _recurrentProducts!.AsSpan(), resetStates = _resetStates!.AsSpan();
        if (ResetAfter)
        {
            // R = h·U + b_h, kept for the backward pass; the z and r blocks join the input products, the h block waits for r.
            if (HasPrevious(s))
            {
                AddRecurrentProduct(batch, steps, s, 0, w, 0f, recurrent[(t * w)..], steps * w);
            }

            for (int b = 0; b < batch; b++)
            {
                Span<float> r = recurrent.Slice(((b * steps) + t) * w, w);
                if (!HasPrevious(s))
                {
                    r.Clear();
                }

                if (UseBias)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(r, RecurrentBias, r);
                }

                Span<float> z = projected.Slice(((b * steps) + t) * w, w);
                System.Numerics.Tensors.TensorPrimitives.Add(z[..(2 * u)], r[..(2 * u)], z[..(2 * u)]);
            }
        }
        else if (HasPrevious(s))
        {
            AddRecurrentProduct(batch, steps, s, 0, 2 * u, 1f, projected[(t * w)..], steps * w);
        }

        if (!ResetAfter)
        {
            // r·h reads the candidate gate's view of h (through its recurrent-dropout mask when dropping).
            DropPreviousStates(batch, steps, s, 2);
        }

        for (int b = 0; b < batch; b++)
        {
            int gateRow = ((b * steps) + t) * w;
            Span<float> z = projected.Slice(gateRow, w), a = gates.Slice(gateRow, w);
            RecurrentActivation.Forward(z[..u], a[..u], u);
            RecurrentActivation.Forward(z.Slice(u, u), a.Slice(u, u), u);
            if (ResetAfter)
            {
                ReadOnlySpan<float> rh = recurrent.Slice(gateRow + (2 * u), u);
                for (int j = 0; j < u; j++)
                {
                    z[(2 * u) + j] += a[u + j] * rh[j];
                }
            }
            else
            {
                Span<float> reset = resetStates.Slice(((b * steps) + t) * u, u);
                ReadOnlySpan<float> previous = PreviousStateForGate(b, steps, s, 2);
                for (int j = 0; j < u; j++)
                {
                    reset[j] = a[u + j] * previous[j];
                }
            }
        }

        if (!ResetAfter && HasPrevious(s))
        {
            Gemm.Multiply(false, false, batch, u, u, 1f, resetStates[(t * u)..], steps * u, RecurrentKernel.Value.AsReadOnlySpan()[(2 * u)..], w,
                1f, projected[((t * w) + (2 * u))..], steps * w);
        }

        for (int b = 0; b < batch; b++)
        {
            int gateRow = ((b * steps) + t) * w, row = ((b * steps) + s) * u;
            if (Masked(b, steps, t))
            {
                CarryState(states, b, steps, s, u, PreviousState(b, steps, 0));
                continue;
            }

            Span<float> a = gates.Slice(gateRow, w), h = states.Slice(row, u);
            ReadOnlySpan<float> previousState = PreviousState(b, steps, s);
            Activation.Forward(projected.Slice(gateRow + (2 * u), u), a.Slice(2 * u, u), u);
            for (int j = 0; j < u; j++)
            {
                float previous = previousState[j];
                h[j] = (a[j] * previous) + ((1f - a[j]) * a[(2 * u) + j]);
            }
        }
    }

    /// <inheritdoc/>
    private protected override void BackwardStep(int batch, int steps, int s, int t, ReadOnlySpan<float> stateGradients, Span<float> projectedGradients)
    {
        int u = Units, w = Width;
        Span<float> dh = CarriedStateGradient(batch);
        Span<float> next = Scratch(ref _nextState, batch, UnitsShape).AsSpan();
        Span<float> dr = Scratch(ref _recurrentGradients, batch, WidthShape).AsSpan();
        Span<float> dReset = Scratch(ref _resetStateGradients, batch, UnitsShape).AsSpan();
        if (s == steps - 1)
        {
            dh.Clear();
        }

        ReadOnlySpan<float> projected = ProjectedValues, gates = _gates!.AsReadOnlySpan(), recurrent = _recurrentProducts!.AsReadOnlySpan();
        ReadOnlySpan<float> states = States;

        // Candidate first: dĥ = act'(ĥ)·(1 − z)·dh; the update gate's gradient (h − ĥ)·dh waits in dr's z block.
        for (int b = 0; b < batch; b++)
        {
            int gateRow = ((b * steps) + t) * w, row = ((b * steps) + s) * u;
            ReadOnlySpan<float> a = gates.Slice(gateRow, w);
            Span<float> dTotal = dh.Slice(b * u, u), da = dr.Slice(b * w, w);
            if (Masked(b, steps, t))
            {
                // A masked step passed its state through: the gradient goes on to the previous step unchanged.
                for (int j = 0; j < u; j++)
                {
                    next[(b * u) + j] = dTotal[j] + stateGradients[row + j];
                }

                da.Clear();
                projectedGradients.Slice(gateRow, w).Clear();
                continue;
            }

            ReadOnlySpan<float> previousState = PreviousState(b, steps, s);
            for (int j = 0; j < u; j++)
            {
                float g = dTotal[j] + stateGradients[row + j];
                float previous = previousState[j];
                da[j] = g * (previous - a[(2 * u) + j]);
                da[(2 * u) + j] = g * (1f - a[j]);
                next[(b * u) + j] = g * a[j];
            }

            Activation.Backward(projected.Slice(gateRow + (2 * u), u), a.Slice(2 * u, u), da.Slice(2 * u, u), projectedGradients.Slice(gateRow + (2 * u), u), u);
        }

        if (!ResetAfter)
        {
            // d(r·h) = dĥ · U_hᵀ.
            if (HasPrevious(s))
            {
                RawRecurrentInputGradient(batch, projectedGradients[((t * w) + (2 * u))..], steps * w, 2 * u, u, 0f, dReset);
            }
            else
            {
                dReset.Clear();
            }
        }

        for (int b = 0; b < batch; b++)
        {
            int gateRow = ((b * steps) + t) * w, row = ((b * steps) + s) * u;
            if (Masked(b, steps, t))
            {
                continue;
            }

            ReadOnlySpan<float> a = gates.Slice(gateRow, w), z = projected.Slice(gateRow, w);
            Span<float> da = dr.Slice(b * w, w), dz = projectedGradients.Slice(gateRow, w);
            if (ResetAfter)
            {
                ReadOnlySpan<float> rh = recurrent.Slice(gateRow + (2 * u), u);
                for (int j = 0; j < u; j++)
                {
                    da[u + j] = dz[(2 * u) + j] * rh[j];
                }
            }
            else
            {
                ReadOnlySpan<float> previousState = PreviousStateForGate(b, steps, s, 2), mask = RecurrentMask(b, 2);
                for (int j = 0; j < u; j++)
                {
                    float previous = previousState[j];
                    da[u + j] = dReset[(b * u) + j] * previous;
                    float dPrevious = dReset[(b * u) + j] * a[u + j];
                    next[(b * u) + j] += mask.IsEmpty ? dPrevious : dPrevious * mask[j];
                }
            }

            RecurrentActivation.Backward(z[..u], a[..u], da[..u], dz[..u], u);
            RecurrentActivation.Backward(z.Slice(u, u), a.Slice(u, u), da.Slice(u, u), dz.Slice(u, u), u);
            if (ResetAfter)
            {
                // The recurrent products' gradient: dz and dr blocks as the inputs', r·dĥ for the candidate block.
                dz[..(2 * u)].CopyTo(da[..(2 * u)]);
                for (int j = 0; j < u; j++)
                {
                    da[(2 * u) + j] = dz[(2 * u) + j] * a[u + j];
                }
            }
        }

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

            if (HasPrevious(s))
            {
                AccumulatePreviousStateGradient(batch, steps, s, dr, w, 0, w);
                RecurrentInputGradient(batch, dr, w, 0, w, 1f, next);
            }
        }
        else if (HasPrevious(s))
        {
            ReadOnlySpan<float> dzStep = projectedGradients[(t * w)..];
            AccumulatePreviousStateGradient(batch, steps, s, dzStep, steps * w, 0, 2 * u);
            AccumulateRecurrentGradient(batch, _resetStates!.AsReadOnlySpan()[(t * u)..], steps * u, dzStep[(2 * u)..], steps * w, 2 * u, u);
            RecurrentInputGradient(batch, dzStep, steps * w, 0, 2 * u, 1f, next);
        }

        next.CopyTo(dh);
    }
}
