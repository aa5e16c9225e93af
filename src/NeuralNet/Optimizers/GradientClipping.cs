using System.Numerics.Tensors;

namespace NeuralNet.Optimizers;

/// <summary>
/// Gradient clipping for hand-written training loops, between the backward pass and <see cref="Optimizer.Step"/>:
/// PyTorch's <c>torch.nn.utils.clip_grad_norm_</c> and <c>clip_grad_value_</c>, which return what a training log
/// records. An optimizer's own <see cref="Optimizer.GlobalClipNorm"/> clips with the same arithmetic inside
/// <see cref="Optimizer.Step"/> but does not report the norm.
/// </summary>
/// <remarks>Only trainable parameters count and are changed (a frozen layer's gradient is discarded by the step anyway),
/// as the optimizer's own clipping does. The parameters' gradients are changed in place; nothing is allocated.</remarks>
public static class GradientClipping
{
    /// <summary>
    /// The L2 norm of all trainable parameters' gradients taken together (the norm of their concatenation), computed in
    /// double precision over each gradient's float32 norm.
    /// </summary>
    /// <param name="parameters">The parameters whose <see cref="Parameter.Gradient"/> to measure, usually <c>model.Parameters</c>.</param>
    /// <returns>The global norm: NaN if a gradient holds NaN, infinity if one holds an infinity.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    public static double GlobalNorm(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        double squares = 0;
        for (int i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].Trainable)
            {
                float norm = TensorPrimitives.Norm(parameters[i].Gradient.AsReadOnlySpan());
                squares += (double)norm * norm;
            }
        }

        return Math.Sqrt(squares);
    }

    /// <summary>
    /// Rescales all trainable parameters' gradients together so that their global L2 norm is at most
    /// <paramref name="maxNorm"/> (each gradient times <c>maxNorm / globalNorm</c> when the norm exceeds it), and returns
    /// the global norm they had before, as PyTorch's <c>clip_grad_norm_</c> and Keras' <c>global_clipnorm</c> do.
    /// </summary>
    /// <param name="parameters">The parameters whose <see cref="Parameter.Gradient"/> to clip, usually <c>model.Parameters</c>.</param>
    /// <param name="maxNorm">The largest global norm kept, positive and finite; used as float32, as
    /// <see cref="Optimizer.GlobalClipNorm"/> is.</param>
    /// <returns>The global norm before clipping. When it is NaN or infinite every gradient becomes NaN (the optimizer's
    /// <see cref="Optimizer.GlobalClipNorm"/> does the same; PyTorch scales by its NaN or zero coefficient).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not a positive finite float32 number;
    /// thrown before any gradient changes.</exception>
    public static double ClipByGlobalNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!Float32Hyperparameter.IsPositive(maxNorm, out float clip))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm,
                $"maxNorm must be a positive finite number (as float32). Received: maxNorm={Float32Hyperparameter.Format(maxNorm)}.");
        }

        return ClipByGlobalNorm(parameters, clip);
    }

    /// <summary>
    /// Clamps every element of all trainable parameters' gradients to [-<paramref name="clipValue"/>,
    /// <paramref name="clipValue"/>], as PyTorch's <c>clip_grad_value_</c> and an optimizer's
    /// <see cref="Optimizer.ClipValue"/> do.
    /// </summary>
    /// <param name="parameters">The parameters whose <see cref="Parameter.Gradient"/> to clamp.</param>
    /// <param name="clipValue">The largest magnitude kept, positive and finite; used as float32.</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipValue"/> is not a positive finite float32
    /// number; thrown before any gradient changes.</exception>
    public static void ClipByValue(IReadOnlyList<Parameter> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!Float32Hyperparameter.IsPositive(clipValue, out float clip))
        {
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue,
                $"clipValue must be a positive finite number (as float32). Received: clipValue={Float32Hyperparameter.Format(clipValue)}.");
        }

        for (int i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].Trainable)
            {
                Span<float> gradient = parameters[i].Gradient.AsSpan();
                TensorPrimitives.Clamp(gradient, -clip, clip, gradient);
            }
        }
    }

    /// <summary>The optimizer's global clipping and the public one: one arithmetic, so both give the same bits.</summary>
    internal static double ClipByGlobalNorm(IReadOnlyList<Parameter> parameters, float clip)
    {
        double global = GlobalNorm(parameters);
        if (global > clip || !double.IsFinite(global))
        {
            float scale = double.IsFinite(global) ? (float)(clip / global) : float.NaN;
            for (int i = 0; i < parameters.Count; i++)
            {
                if (parameters[i].Trainable)
                {
                    Span<float> gradient = parameters[i].Gradient.AsSpan();
                    TensorPrimitives.Multiply(gradient, scale, gradient);
                }
            }
        }

        return global;
    }
}
