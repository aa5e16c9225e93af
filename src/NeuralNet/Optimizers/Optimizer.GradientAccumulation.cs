using System.Globalization;
using System.Numerics.Tensors;

namespace NeuralNet.Optimizers;

public abstract partial class Optimizer
{
    private int? _gradientAccumulationSteps;

    /// <summary>
    /// When set to n, gradients are accumulated over n calls of <see cref="Step"/> and the parameters are updated on
    /// every n-th call only, with the mean of the n gradients (Keras <c>gradient_accumulation_steps</c>); clipping and
    /// weight decay apply to that mean, at that call. <see cref="Iterations"/> counts updates (calls / n), so Adam's bias
    /// correction and <see cref="EmaOverwriteFrequency"/> follow them; a <see cref="Schedule"/> sees every call. At least
    /// 2; null (the default) updates on every call.
    /// </summary>
    /// <example><c>var sgd = new Sgd(0.1f) { GradientAccumulationSteps = 4 };</c> (batches of 8 train as batches of 32 would)</example>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 2.</exception>
    public int? GradientAccumulationSteps
    {
        get => _gradientAccumulationSteps;
        init => _gradientAccumulationSteps = ValidateAccumulationSteps(value);
    }

    private static int? ValidateAccumulationSteps(int? value) => value is int steps and < 2
        ? throw new ArgumentOutOfRangeException(nameof(GradientAccumulationSteps), steps, string.Create(CultureInfo.InvariantCulture, $"GradientAccumulationSteps must be an integer >= 2 or null. Received: GradientAccumulationSteps={steps}."))
        : value;

    private void ReadGradientAccumulation(Serialization.Config config)
    {
        try
        {
            // Keras tests the setting for truth ("if gradient_accumulation_steps:"), so 0 is "none" there, as null is.
            int? steps = config.Contains("gradient_accumulation_steps") ? config.GetInt32("gradient_accumulation_steps") : null;
            _gradientAccumulationSteps = ValidateAccumulationSteps(steps == 0 ? null : steps);
        }
        catch (ArgumentException ex)
        {
            throw config.Error(ex.Message, ex);
        }
    }

    // Keras' _backend_apply_gradients: when (_iterations + 1) % n == 0 every trainable gradient becomes
    // (gradient + accumulated) / n and the accumulators restart from zero (returns true: this call updates); otherwise
    // the gradient is only added to its accumulator (returns false). Always true without accumulation.
    private bool AccumulateGradients(IReadOnlyList<Parameter> parameters)
    {
        if (_gradientAccumulationSteps is not int steps)
        {
            return true;
        }

        bool updates = (StepCount + 1) % steps == 0;
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter parameter = parameters[i];
            if (!parameter.Trainable)
            {
                continue;
            }

            Span<float> accumulated = State(parameter).Accumulator!.AsSpan();
            Span<float> gradient = parameter.Gradient.AsSpan();
            if (updates)
            {
                TensorPrimitives.Add(gradient, accumulated, gradient);
                TensorPrimitives.Divide(gradient, steps, gradient);
                accumulated.Clear();
            }
            else
            {
                TensorPrimitives.Add(gradient, accumulated, accumulated);
            }
        }

        return updates;
    }
}
