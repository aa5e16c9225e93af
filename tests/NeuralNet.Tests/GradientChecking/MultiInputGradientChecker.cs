using NeuralNet.Layers;

namespace NeuralNet.Tests.GradientChecking;

/// <summary>
/// <see cref="GradientChecker.CheckLayer"/> for layers that take several inputs (merge layers, <see cref="Dot"/>,
/// <see cref="Concatenate"/>): the objective is <c>sum(G ⊙ layer(x1, ..., xn))</c> (plus the parameters' penalties),
/// accumulated in double precision, with a seeded random upstream gradient G; the gradient of every input and of every
/// trainable parameter is compared with central differences by <see cref="GradientChecker.CheckTensor"/>.
/// </summary>
public static class MultiInputGradientChecker
{
    /// <summary>
    /// Checks the gradient with respect to each input (when <see cref="Layer.ComputesInputGradient"/>) and each trainable
    /// parameter at <paramref name="inputs"/>.
    /// </summary>
    /// <param name="layer">The layer; built on the first forward if not yet built. Its gradients are cleared first.</param>
    /// <param name="inputs">One batch per input, distinct tensors that share no storage (each is perturbed on its own, in
    /// place, and restored).</param>
    /// <param name="seed">Seed of the upstream gradient G (and of the element samples).</param>
    /// <param name="options">Tolerances; null for <see cref="GradientCheckOptions.Default"/>.</param>
    /// <param name="training">The training flag passed to every forward call.</param>
    /// <param name="masks">Masks passed with the inputs to every forward call (Keras' masking; null entries for inputs
    /// without one), or null for none. They are held fixed: only the values are perturbed.</param>
    /// <returns>The comparison of every checked element; variables are named <c>input 0</c>, <c>input 1</c>, ... and by parameter name.</returns>
    /// <exception cref="ArgumentException">Two inputs share storage, or the layer gave no gradient for an input.</exception>
    public static GradientCheckReport CheckLayer(Layer layer, Tensor[] inputs, long seed, GradientCheckOptions? options = null, bool training = false, Tensor?[]? masks = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= GradientCheckOptions.Default;
        for (int i = 0; i < inputs.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(inputs[i], nameof(inputs));
            for (int j = 0; j < i; j++)
            {
                if (inputs[i].SharesStorageWith(inputs[j]))
                {
                    throw new ArgumentException($"Inputs {j} and {i} share storage, so they cannot be perturbed one at a time; pass copies.", nameof(inputs));
                }
            }
        }

        Tensor?[] inputMasks = masks ?? new Tensor?[inputs.Length];
        Tensor output = layer.Forward(inputs, inputMasks, training);
        Tensor upstream = Tensor.RandomNormal(output.Shape, seed);
        foreach (Parameter p in layer.Parameters)
        {
            p.ZeroGradient();
        }

        // The layer owns the tensors it returns and overwrites them at its next call: copy them before the objective runs.
        var slots = new Tensor?[inputs.Length];
        layer.Backward(upstream, slots);
        var inputGradients = new float[]?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputGradients[i] = slots[i]?.ToArray();
        }

        // Penalties are the trainer's: their gradients join the parameters' after the backward pass, as in training.
        NeuralNet.Training.Penalties.AddGradients([.. layer.Parameters.Where(p => p.Regularizer is not null)]);
        var parameterGradients = layer.Parameters.Select(p => p.Gradient.ToArray()).ToList();

        double Objective()
        {
            ReadOnlySpan<float> y = layer.Forward(inputs, inputMasks, training).AsReadOnlySpan();
            ReadOnlySpan<float> g = upstream.AsReadOnlySpan();
            double sum = 0;
            for (int i = 0; i < y.Length; i++)
            {
                sum += (double)g[i] * y[i];
            }

            // A loss the layer (or a layer inside it) added with AddLoss is part of the objective its backward pass differentiates.
            sum += layer.AddedLossWithInnerLayers();
            foreach (Parameter p in layer.Parameters)
            {
                if (p.Regularizer is not null)
                {
                    sum += p.Regularizer.Penalty(p.Value.AsReadOnlySpan());
                }
            }

            return sum;
        }

        var report = new GradientCheckReport();
        if (layer.ComputesInputGradient)
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                float[] analytic = inputGradients[i] ?? throw new ArgumentException($"{layer} computes input gradients but left the gradient of input {i} null.", nameof(layer));
                GradientChecker.CheckTensor(report, $"input {i}", inputs[i], analytic, Objective, options, seed + i);
            }
        }

        for (int i = 0; i < layer.Parameters.Count; i++)
        {
            Parameter p = layer.Parameters[i];
            if (p.Trainable)
            {
                GradientChecker.CheckTensor(report, p.Name, p.Value, parameterGradients[i], Objective, options, seed + inputs.Length + i);
            }
        }

        return report;
    }
}
