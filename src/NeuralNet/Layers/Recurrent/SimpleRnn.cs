using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A fully connected recurrent layer (Keras' <c>SimpleRNN</c>): per step, h = act(x·W + h·U + b), tanh unless given.
/// Weights as Keras lays them out: kernel (features, units), recurrent_kernel (units, units), bias (units).
/// </summary>
/// <example><c>model.Add(new SimpleRnn(32));</c></example>
public sealed class SimpleRnn : Recurrent
{
    private Tensor? _stepGradient;

    /// <summary>Creates a SimpleRNN layer.</summary>
    /// <param name="units">The size of the state and of the output.</param>
    /// <param name="activation">The activation; tanh when null.</param>
    /// <param name="useBias">Whether the layer has a bias.</param>
    /// <param name="kernelInitializer">The kernel's initializer; glorot_uniform when null.</param>
    /// <param name="recurrentInitializer">The recurrent kernel's initializer; orthogonal when null.</param>
    /// <param name="biasInitializer">The bias' initializer; zeros when null.</param>
    /// <param name="kernelRegularizer">The kernel's penalty, if any.</param>
    /// <param name="recurrentRegularizer">The recurrent kernel's penalty, if any.</param>
    /// <param name="biasRegularizer">The bias' penalty, if any.</param>
    /// <param name="returnSequences">Whether to return every step's state (batch, timesteps, units) rather than the last.</param>
    /// <param name="goBackwards">Whether to run from the last time step to the first.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>simple_rnn</c>, <c>simple_rnn_1</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="units"/> is below 1.</exception>
    public SimpleRnn(int units, ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null,
        Initializer? recurrentInitializer = null, Initializer? biasInitializer = null, Regularizer? kernelRegularizer = null,
        Regularizer? recurrentRegularizer = null, Regularizer? biasRegularizer = null, bool returnSequences = false,
        bool goBackwards = false, string? name = null)
        : base(units, 1, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, kernelRegularizer,
            recurrentRegularizer, biasRegularizer, returnSequences, goBackwards, name)
    {
    }

    /// <inheritdoc/>
    public override string TypeName => "SimpleRNN";

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "simple_rnn";

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static SimpleRnn FromConfig(Config config)
    {
        int units = config.GetInt32("units", minimum: 1);
        Config d = config.WithDefaults(new SimpleRnn(units).GetConfig());
        return new(units, d.GetActivation("activation"), d.GetBoolean("use_bias"), d.GetInitializer("kernel_initializer"),
            d.GetInitializer("recurrent_initializer"), d.GetInitializer("bias_initializer"), d.GetRegularizer("kernel_regularizer"),
            d.GetRegularizer("recurrent_regularizer"), d.GetRegularizer("bias_regularizer"), d.GetBoolean("return_sequences"),
            d.GetBoolean("go_backwards"), config.GetString("name"))
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

    /// <inheritdoc/>
    private protected override void PrepareSteps(int batch, int steps)
    {
    }

    /// <inheritdoc/>
    private protected override void ForwardStep(int batch, int steps, int s, int t, Span<float> projected, Span<float> states)
    {
        int u = Units;
        if (HasPrevious(s))
        {
            AddRecurrentProduct(batch, steps, s, 0, u, 1f, projected[(t * u)..], steps * u);
        }

        for (int b = 0; b < batch; b++)
        {
            if (Masked(b, steps, t))
            {
                CarryState(states, b, steps, s, u, PreviousState(b, steps, 0));
                continue;
            }

            Activation.Forward(projected.Slice(((b * steps) + t) * u, u), states.Slice(((b * steps) + s) * u, u), u);
        }
    }

    /// <inheritdoc/>
    private protected override void BackwardStep(int batch, int steps, int s, int t, ReadOnlySpan<float> stateGradients, Span<float> projectedGradients)
    {
        int u = Units;
        Span<float> dh = CarriedStateGradient(batch);
        Span<float> total = Scratch(ref _stepGradient, batch, UnitsShape).AsSpan();
        if (s == steps - 1)
        {
            dh.Clear();
        }

        ReadOnlySpan<float> projected = ProjectedValues, states = States;
        for (int b = 0; b < batch; b++)
        {
            int row = ((b * steps) + s) * u, zRow = ((b * steps) + t) * u;
            Span<float> g = total.Slice(b * u, u);
            for (int j = 0; j < u; j++)
            {
                g[j] = dh[(b * u) + j] + stateGradients[row + j];
            }

            if (Masked(b, steps, t))
            {
                // A masked step passed its state through: the gradient goes on to the previous step unchanged.
                projectedGradients.Slice(zRow, u).Clear();
                g.CopyTo(dh.Slice(b * u, u));
                continue;
            }

            Activation.Backward(projected.Slice(zRow, u), states.Slice(row, u), g, projectedGradients.Slice(zRow, u), u);
        }

        if (HasPrevious(s))
        {
            ReadOnlySpan<float> dzStep = projectedGradients[(t * u)..];
            AccumulatePreviousStateGradient(batch, steps, s, dzStep, steps * u, 0, u);
            RecurrentInputGradientKeepingMasked(batch, steps, t, dzStep, steps * u, u, dh);
        }
    }
}
