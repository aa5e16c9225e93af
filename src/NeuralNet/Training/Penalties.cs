namespace NeuralNet.Training;

/// <summary>
/// Weight penalties, applied once per step for every parameter that has a <see cref="Parameter.Regularizer"/>, whatever
/// layer owns it (a custom layer's regularized weight needs no code of its own) and however often the layer is called:
/// the penalty joins the loss, and its gradient joins the parameter's gradient after the backward pass. A parameter that
/// is not trainable now (its layer is frozen) has no penalty, as Keras collects penalties from trainable weights only.
/// </summary>
internal static class Penalties
{
    /// <summary>The sum of the penalties of <paramref name="regularized"/>, in order.</summary>
    public static float Total(IReadOnlyList<Parameter> regularized)
    {
        float penalty = 0f;
        for (int i = 0; i < regularized.Count; i++)
        {
            Parameter p = regularized[i];
            if (p.Trainable)
            {
                penalty += p.Regularizer!.Penalty(p.Value.AsReadOnlySpan());
            }
        }

        return penalty;
    }

    /// <summary>Adds each penalty's gradient to its parameter's gradient.</summary>
    public static void AddGradients(IReadOnlyList<Parameter> regularized)
    {
        for (int i = 0; i < regularized.Count; i++)
        {
            Parameter p = regularized[i];
            if (p.Trainable)
            {
                p.Regularizer!.AddGradient(p.Value.AsReadOnlySpan(), p.Gradient.AsSpan());
            }
        }
    }
}
