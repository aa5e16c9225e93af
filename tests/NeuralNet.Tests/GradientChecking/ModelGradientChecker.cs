using NeuralNet.Models;

namespace NeuralNet.Tests.GradientChecking;

/// <summary>
/// Checks a whole model's parameter gradients against central differences: the objective is
/// <c>sum_k sum(G_k ⊙ output_k)</c> for seeded random upstream gradients G_k, plus every weight penalty, activity
/// penalty and loss a layer added (<c>AddLoss</c>), and the analytic
/// gradients come from <see cref="Model.Backward"/> followed by the penalties' gradients, as the trainer applies them.
/// Shared layers, fan-out and several outputs are all exercised through the model's graph executor.
/// </summary>
public static class ModelGradientChecker
{
    /// <summary>Checks every trainable parameter of <paramref name="model"/> at <paramref name="inputs"/> (inference mode).</summary>
    public static GradientCheckReport Check(Model model, Tensor[] inputs, long seed, GradientCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= GradientCheckOptions.Default;
        IReadOnlyList<Tensor> outputs = model.Forward(inputs, training: false);
        Tensor[] upstream = [.. outputs.Select((o, k) => Tensor.RandomNormal(o.Shape, seed + (1000 * k)))];
        foreach (Parameter p in model.Parameters)
        {
            p.ZeroGradient();
        }

        model.Backward(upstream);
        NeuralNet.Training.Penalties.AddGradients(model.RegularizedParameters);
        var analytic = model.Parameters.Select(p => p.Gradient.ToArray()).ToList();

        double Objective()
        {
            IReadOnlyList<Tensor> y = model.Forward(inputs, training: false);
            double sum = 0;
            for (int k = 0; k < y.Count; k++)
            {
                ReadOnlySpan<float> values = y[k].AsReadOnlySpan();
                ReadOnlySpan<float> g = upstream[k].AsReadOnlySpan();
                for (int i = 0; i < values.Length; i++)
                {
                    sum += (double)g[i] * values[i];
                }
            }

            foreach (Parameter p in model.RegularizedParameters)
            {
                sum += p.Regularizer!.Penalty(p.Value.AsReadOnlySpan());
            }

            // Activity regularizers' penalties / batch, whose gradients Backward adds to the outputs' gradients, and the
            // losses layers added with AddLoss, whose gradients their own backward passes add.
            return sum + model.ActivityLoss + model.AddedLoss;
        }

        var report = new GradientCheckReport();
        for (int i = 0; i < model.Parameters.Count; i++)
        {
            Parameter p = model.Parameters[i];
            if (p.Trainable)
            {
                GradientChecker.CheckTensor(report, model.ParameterName(p), p.Value, analytic[i], Objective, options, seed + i + 1);
            }
        }

        return report;
    }
}
