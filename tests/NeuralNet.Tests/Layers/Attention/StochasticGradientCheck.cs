using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;

namespace NeuralNet.Tests.Layers.Attention;

/// <summary>
/// A numerical gradient check for the attention and noise layers: like <see cref="MultiInputGradientChecker"/>, with two
/// differences. Only the inputs listed are perturbed (masks are compared with 0, so they have no gradient to check), and
/// a layer that draws random numbers in training gets its generator put back to the same state before every forward
/// pass, so that each pass draws the same dropout mask or noise and the objective is a fixed function. Masks that
/// arrive with the inputs (Keras' propagated masks), when given, go with every forward pass. A layer with several outputs
/// (attention scores) gets an upstream gradient on each, and the objective sums them all; <c>skipFirstOutput</c> leaves
/// output 0 without a gradient (a loss on the scores alone).
/// </summary>
internal static class StochasticGradientCheck
{
    public static GradientCheckReport Check(Layer layer, Tensor[] inputs, int[] checkedInputs, long seed, bool training, GradientCheckOptions? options = null, Tensor?[]? masks = null,
        bool skipFirstOutput = false)
    {
        options ??= GradientCheckOptions.Default;
        var state = new ulong[SeededRandom.StateLength];
        SeededRandom? random = layer is IRandomLayer r ? r.LayerRandom : null;
        random?.GetState(state);

        Tensor Forward()
        {
            random?.SetState(state);
            return masks is null ? layer.Forward(inputs, training) : layer.Forward(inputs, masks, training);
        }

        Tensor output = Forward();
        Tensor upstream = Tensor.RandomNormal(output.Shape, seed);
        int outputs = layer.OutputCount;
        var upstreams = new Tensor?[outputs];
        upstreams[0] = skipFirstOutput ? null : upstream;
        for (int k = 1; k < outputs; k++)
        {
            upstreams[k] = Tensor.RandomNormal(layer.GetOutput(k).Shape, seed + (100 * k));
        }

        foreach (Parameter p in layer.Parameters)
        {
            p.ZeroGradient();
        }

        var slots = new Tensor?[inputs.Length];
        if (outputs == 1)
        {
            layer.Backward(upstream, slots);
        }
        else
        {
            layer.Backward(upstreams, slots);
        }

        float[]?[] inputGradients = [.. slots.Select(s => s?.ToArray())];
        var parameterGradients = layer.Parameters.Select(p => p.Gradient.ToArray()).ToList();

        double Objective()
        {
            Forward();
            double sum = 0;
            for (int k = 0; k < outputs; k++)
            {
                if (upstreams[k] is not Tensor gk)
                {
                    continue;
                }

                ReadOnlySpan<float> y = layer.GetOutput(k).AsReadOnlySpan();
                ReadOnlySpan<float> g = gk.AsReadOnlySpan();
                for (int i = 0; i < y.Length; i++)
                {
                    sum += (double)g[i] * y[i];
                }
            }

            return sum;
        }

        var report = new GradientCheckReport();
        foreach (int i in checkedInputs)
        {
            float[] analytic = inputGradients[i] ?? throw new InvalidOperationException($"{layer} left the gradient of input {i} null.");
            GradientChecker.CheckTensor(report, $"input {i}", inputs[i], analytic, Objective, options, seed + i);
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
