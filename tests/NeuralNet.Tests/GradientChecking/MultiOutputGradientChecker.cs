using NeuralNet.Layers;

namespace NeuralNet.Tests.GradientChecking;

/// <summary>
/// <see cref="GradientChecker.CheckLayer"/> for layers with several outputs (a recurrent layer with returnState, a
/// Bidirectional without a merge): the objective is <c>sum_k sum(G_k ⊙ output_k)</c> with seeded random G_k (output 0 left
/// out when <c>skipFirstOutput</c>), and the gradients of every input and trainable parameter from the multi-output
/// <see cref="Layer.Backward(ReadOnlySpan{Tensor}, Span{Tensor})"/> are compared with central differences. With
/// <c>mask</c>, the first input carries it in every forward call (Keras' masking).
/// </summary>
public static class MultiOutputGradientChecker
{
    // sum_k G_k · output_k against central differences, for every input and trainable parameter.
    public static GradientCheckReport CheckLayer(Layer layer, Tensor[] inputs, long seed, bool skipFirstOutput = false, Tensor? mask = null)
    {
        Tensor?[] masks = new Tensor?[inputs.Length];
        masks[0] = mask;
        void Run() => layer.Forward(inputs, masks, training: false);

        Run();
        var upstream = new Tensor?[layer.OutputCount];
        for (int k = skipFirstOutput ? 1 : 0; k < upstream.Length; k++)
        {
            upstream[k] = Tensor.RandomNormal(layer.GetOutput(k).Shape, seed + k);
        }

        foreach (Parameter p in layer.Parameters)
        {
            p.ZeroGradient();
        }

        var slots = new Tensor?[inputs.Length];
        layer.Backward(upstream, slots);
        float[][] inputGradients = [.. slots.Select(g => g!.ToArray())];
        var parameterGradients = layer.Parameters.Select(p => p.Gradient.ToArray()).ToList();

        double Objective()
        {
            Run();
            double sum = 0;
            for (int k = 0; k < upstream.Length; k++)
            {
                if (upstream[k] is Tensor g)
                {
                    ReadOnlySpan<float> y = layer.GetOutput(k).AsReadOnlySpan();
                    for (int i = 0; i < y.Length; i++)
                    {
                        sum += (double)g.AsReadOnlySpan()[i] * y[i];
                    }
                }
            }

            return sum;
        }

        var report = new GradientCheckReport();
        GradientCheckOptions options = GradientCheckOptions.Default;
        for (int i = 0; i < inputs.Length; i++)
        {
            GradientChecker.CheckTensor(report, $"input {i}", inputs[i], inputGradients[i], Objective, options, seed + 50 + i);
        }

        for (int i = 0; i < layer.Parameters.Count; i++)
        {
            GradientChecker.CheckTensor(report, layer.Parameters[i].Name, layer.Parameters[i].Value, parameterGradients[i], Objective, options, seed + 70 + i);
        }

        return report;
    }

}
