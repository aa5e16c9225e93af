using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Keras' <c>SimpleRNNCell</c>: h = activation(x·kernel + bias + h_prev·recurrent_kernel); the output is the new state.
/// Run it with <see cref="Rnn"/> (<see cref="SimpleRnn"/> is the same computation on a faster path).
/// </summary>
public sealed class SimpleRnnCell : GatedRnnCell
{
    private float[] _preActivations = [];
    private float[] _gradient = [];
    private float[] _dz = [];

    /// <summary>Creates the cell.</summary>
    /// <param name="units">The size of the state and of the output.</param>
    /// <param name="activation">The activation; tanh when null.</param>
    /// <param name="useBias">Whether the cell has a bias.</param>
    /// <param name="kernelInitializer">The kernel's initializer; glorot_uniform when null.</param>
    /// <param name="recurrentInitializer">The recurrent kernel's initializer; orthogonal when null.</param>
    /// <param name="biasInitializer">The bias' initializer; zeros when null.</param>
    /// <param name="kernelRegularizer">The kernel's penalty, if any.</param>
    /// <param name="recurrentRegularizer">The recurrent kernel's penalty, if any.</param>
    /// <param name="biasRegularizer">The bias' penalty, if any.</param>
    /// <param name="dropout">The fraction of the inputs dropped in training, in [0, 1).</param>
    /// <param name="recurrentDropout">The fraction of the previous state dropped before the recurrent product in training, in [0, 1).</param>
    /// <param name="seed">The dropout seed; null to use the model's.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="units"/> is below 1, or a rate is outside [0, 1).</exception>
    public SimpleRnnCell(int units, ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null,
        Initializer? recurrentInitializer = null, Initializer? biasInitializer = null, Regularizer? kernelRegularizer = null,
        Regularizer? recurrentRegularizer = null, Regularizer? biasRegularizer = null, double dropout = 0, double recurrentDropout = 0, long? seed = null)
        : base(units, 1, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, kernelRegularizer, recurrentRegularizer,
            biasRegularizer, dropout, recurrentDropout, seed)
    {
    }

    /// <inheritdoc/>
    public override string TypeName => "SimpleRNNCell";

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static SimpleRnnCell FromConfig(Config config)
    {
        int units = config.GetInt32("units", minimum: 1);
        Config d = config.WithDefaults(new SimpleRnnCell(units).GetConfig());
        return new(units, d.GetActivation("activation"), d.GetBoolean("use_bias"), d.GetInitializer("kernel_initializer"), d.GetInitializer("recurrent_initializer"),
            d.GetInitializer("bias_initializer"), d.GetRegularizer("kernel_regularizer"), d.GetRegularizer("recurrent_regularizer"), d.GetRegularizer("bias_regularizer"),
            d.GetDouble("dropout"), d.GetDouble("recurrent_dropout"), d.GetNullableInt64("seed"))
        {
            KernelConstraint = d.GetConstraint("kernel_constraint"),
            RecurrentConstraint = d.GetConstraint("recurrent_constraint"),
            BiasConstraint = d.GetConstraint("bias_constraint"),
        };
    }

    /// <inheritdoc/>
    private protected override void PrepareSteps(int batch, int steps)
    {
        Cache(ref _preActivations, steps, batch, Units);
        Cache(ref _gradient, 1, batch, Units);
        Cache(ref _dz, 1, batch, Units);
    }

    /// <inheritdoc/>
    public override void Forward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, Span<float> output, Span<float> newStates)
    {
        int u = Units;
        Span<float> z = StepBlock(_preActivations, step, batch, u);
        Projections.InputProduct(batch, input, z);
        Projections.RecurrentProduct(batch, Projections.DroppedState(batch, states), 0, u, 1f, z, u);
        Activation.Forward(z, newStates[..(batch * u)], u);
        newStates[..(batch * u)].CopyTo(output);
    }

    /// <inheritdoc/>
    public override void Backward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, ReadOnlySpan<float> newStates,
        ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> newStateGradients, Span<float> inputGradient, Span<float> stateGradients)
    {
        int u = Units, n = batch * u;
        Span<float> g = _gradient.AsSpan(0, n), dz = _dz.AsSpan(0, n);
        System.Numerics.Tensors.TensorPrimitives.Add(outputGradient[..n], newStateGradients[..n], g);
        Activation.Backward(StepBlock(_preActivations, step, batch, u), newStates[..n], g, dz, u);
        Projections.InputBackward(batch, input, dz, inputGradient);
        stateGradients[..n].Clear();
        Projections.RecurrentBackward(batch, Projections.DroppedState(batch, states), dz, u, 0, u, stateGradients, throughMask: true);
    }
}
